/**
 * The OpenAPI document as the code generates it: `npm run openapi` writes `api/openapi.json`,
 * and `test/api.openapi.test.ts` fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildServer } from './buildServer.js';
import { loadApiConfig } from './config.js';

export const OPENAPI_PATH = fileURLToPath(new URL('./openapi.json', import.meta.url));

export async function generateOpenApi(): Promise<string> {
  // Nothing connects: the Temporal connection is lazy and the pg pool opens on first query.
  const config = loadApiConfig({
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/none',
    API_KEYS: '[]',
    NODE_ENV: 'production',
    // Production refuses to start without one; the document depends on none.
    REQUESTER_TOKEN_SECRET: 'the-openapi-document-needs-no-real-secret',
  });
  const server = await buildServer(config, { logger: false });
  try {
    const response = await server.inject('/docs/json');
    if (response.statusCode !== 200) throw new Error(`/docs/json answered ${response.statusCode}`);
    return `${JSON.stringify(response.json(), null, 2)}\n`;
  } finally {
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_PATH, await generateOpenApi());
  console.log(`wrote ${OPENAPI_PATH}`);
}
