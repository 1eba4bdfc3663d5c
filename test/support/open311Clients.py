"""Drives the Open311 endpoint with two third-party GeoReport v2 clients from PyPI.

civicbot lists the services, reads a definition, files a request and reads it back (JSON);
georeport reads the catalogue in XML. Prints one JSON object of what they got.
Arguments: the endpoint's base URL, an intake API key.
"""
import json
import sys

from civicbot import Endpoint, HttpError, HttpTransport, Open311Client
from civicbot.http import RateLimiter
from georeport import GeoReport

base_url, api_key = sys.argv[1], sys.argv[2]


class WithHeaders(HttpTransport):
    """civicbot's transport sending one more header on reads (a token or a key)."""

    def __init__(self, headers):
        super().__init__(rate_limiter=RateLimiter(min_interval=0))
        self.headers = headers

    def get_json(self, url, params=None, headers=None):
        return super().get_json(url, params, {**self.headers, **(headers or {})})


endpoint = Endpoint(id="beijing-12345", name="Beijing 12345", base_url=base_url, write=True)
client = Open311Client(endpoint, transport=WithHeaders({}), jurisdiction_id="beijing")
out = {}

services = client.list_services()
out["service_count"] = len(services)
out["water_outage"] = next(s for s in services if s["service_code"] == "utilities.water.outage")
out["definition"] = client.get_service_definition("utilities.water.outage")

filed = client.create_request(
    "utilities.water.outage",
    dry_run=False,
    confirm="SEND",
    api_key=api_key,
    validate_remote=True,
    lat=39.9087,
    lng=116.4605,
    address_string="北京市朝阳区建外街道永安里小区3号楼",
    description="小区停水两天，物业联系不上",
    first_name="三",
    last_name="张",
    phone="13900000000",
    media_url="https://photos.example.com/123_water.jpg",
)
out["created"] = filed.response
request_id = filed.response[0]["service_request_id"]
token = filed.response[0]["requester_token"]

try:
    client.get_request(request_id)
    out["without_token"] = "answered"
except HttpError as error:
    out["without_token"] = {"status": error.status, "errors": json.loads(error.body)}

requester = Open311Client(endpoint, transport=WithHeaders({"X-Requester-Token": token}), jurisdiction_id="beijing")
out["status"] = requester.get_request(request_id)

intake = Open311Client(endpoint, transport=WithHeaders({"Authorization": f"Bearer {api_key}"}), jurisdiction_id="beijing")
out["listed"] = intake.list_requests(service_request_ids=[request_id], status="open")

geo = GeoReport(base_url, jurisdiction="beijing", output_format="xml")
xml_services = geo.get_service_list()
out["xml_service_count"] = len(xml_services)
out["xml_water_outage"] = next(s for s in xml_services if s["service_code"] == "utilities.water.outage")
out["xml_definition"] = geo.get_service_definition("utilities.water.outage")

print(json.dumps(out, ensure_ascii=False))
