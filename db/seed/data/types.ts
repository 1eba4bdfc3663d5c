// Record types of the reference data JSON files in this folder (types only, no runtime code).

/** districts.json: Beijing's 16 districts. */
export interface DistrictRecord {
  /** Lowercase pinyin slug, e.g. 'dongcheng'. */
  id: string;
  /** Chinese name, e.g. '东城区'. */
  name: string;
  nameEn: string;
}

/**
 * streets.json: the 343 streets (街道) and townships (乡/镇, incl. 地区办事处, which run a
 * 乡 or 镇 government) of Beijing, after the statistical division codes of 2022-10-31.
 */
export interface StreetRecord {
  /** '<districtId>-<pinyin>', e.g. 'dongcheng-donghuamen'. */
  id: string;
  districtId: string;
  name: string;
  kind: 'street' | 'township';
}

export type UtilityService = 'water' | 'power' | 'gas' | 'heating';

export type { UnitKind } from '../../../domain/appeal.js';
import type { UnitKind } from '../../../domain/appeal.js';

/** units.json: handling units other than streets and townships. */
export interface UnitRecord {
  id: string;
  name: string;
  kind: UnitKind;
  /** For district_government and district_department. */
  districtId?: string;
  /** For utility enterprises (public_service_enterprise). */
  service?: UtilityService;
  /** For sector_authority: category code prefixes it covers, e.g. 'utilities.water'. */
  sectors?: string[];
}

/** categories.json: appeal category tree; a leaf is a code that is nobody's parent. */
export interface CategoryRecord {
  /** Dotted stable code, e.g. 'utilities.water.outage'. */
  code: string;
  name: string;
  /** Parent code; absent for a root. */
  parent?: string;
  utility?: UtilityService;
  /** Why a leaf has no city-level catalogue entry (how it is dispatched instead). */
  fallbackNote?: string;
}

/**
 * dispatchCatalogue.json. Precedence: street entry > district entry > city entry for the same
 * category. Exactly one of unitId / unitKind is set:
 * 'street_of_location' = the street/township of the appeal's location;
 * 'district_government' = the district government of the location (兜底 owner).
 */
export interface DispatchCatalogueRecord {
  categoryCode: string;
  scope: 'city' | 'district' | 'street';
  /** Required for scope 'district' and 'street'. */
  districtId?: string;
  /** Required for scope 'street'. */
  streetId?: string;
  unitId?: string;
  unitKind?: 'street_of_location' | 'district_government';
  policyCode: string;
}

export type AppealType = 'consultation' | 'help' | 'complaint' | 'report' | 'suggestion';

export type WindowUnit = 'natural_hours' | 'natural_days' | 'working_days';

export interface DeadlineWindow {
  amount: number;
  unit: WindowUnit;
}

export interface PolicyWindows {
  /** Unit must accept (sign for) the order. */
  acceptance: DeadlineWindow;
  /** Center reviews a dispatch objection. */
  objectionReview: DeadlineWindow;
  /** Consultation (会商) among candidate units before dispatch. */
  consultation: DeadlineWindow;
  /** A co-handling unit reports its part (shorter than handling). */
  coHandler: DeadlineWindow;
  /** Handling deadline from acceptance. */
  handling: DeadlineWindow;
  /** Time added by one granted extension. */
  extension: DeadlineWindow;
  /** Coordinator (district government / sector authority) gives its opinion. */
  coordinationOpinion: DeadlineWindow;
  /** Wait for an answer to one callback attempt before the next. */
  callbackAttempt: DeadlineWindow;
  /** Whole callback period, all attempts included. */
  callbackWindow: DeadlineWindow;
  /** Summoned departments report in after a whistle (吹哨报到). */
  whistleReportIn: DeadlineWindow;
  /** How often a matter forwarded to a central/military organ is followed up until it answers (Art. 23). */
  centralFollowUp: DeadlineWindow;
}

/** What a co-handler is given when less time is left before the main deadline than the margin. */
export type CoHandlerWhenShort = 'main_deadline' | 'co_handler_window';

/**
 * deadlinePolicies.json. A (code, version) pair is unique; the version in force is the one
 * with validFrom <= date < validTo (validTo null = open). appealTypes null = all types. When
 * the catalogue's policy does not list the appeal's type, the policy that lists it explicitly
 * applies (e.g. 'suggestion').
 */
export interface DeadlinePolicyRecord {
  code: string;
  version: number;
  /** ISO date (YYYY-MM-DD), inclusive. */
  validFrom: string;
  /** ISO date (YYYY-MM-DD), exclusive; null or absent = still in force. */
  validTo?: string | null;
  appealTypes: AppealType[] | null;
  description: string;
  windows: PolicyWindows;
  /** Acceptance reminders (催办) before tiered coordination. */
  acceptanceReminderLimit: number;
  callbackMaxAttempts: number;
  /** Tiers of automatic escalation: 1 = coordinator; 2 = then city-level supervision. */
  escalationLevels: number;
  /** Call back as soon as the result is reported, not only at the deadline. */
  callbackOnResult: boolean;
  /** Yellow-light warnings, as ascending fractions of the handling time, each in (0, 1). */
  warningFractions: number[];
  /** Re-handling orders (重办) at most, after unsatisfied callbacks. */
  rehandlingCap: number;
  /** A co-handler's part is due at least this many hours before the main handling deadline. */
  coHandlerMarginHours: number;
  coHandlerWhenShort: CoHandlerWhenShort;
  /**
   * Reminders (催办) per escalation tier: [0] reminders of the overdue unit before tier 1
   * (equal to acceptanceReminderLimit); [i] further reminders while at tier i before tier i + 1.
   * One entry per tier and one before the first: escalationLevels + 1 entries.
   */
  reminderLimits: number[];
  /** How far back an appeal counts as a repeat of an earlier one (Art. 12). */
  duplicateWindowDays: number;
  /** The city level above district governments and sector authorities: the last escalation tier (Art. 22). */
  cityEscalationUnitId: string;
}

/** knowledgeBase.json: answers given on the spot to consultations (Art. 13). */
export interface KnowledgeBaseRecord {
  id: string;
  title: string;
  question: string;
  answer: string;
  keywords: string[];
  categoryCode?: string;
}

/**
 * assessmentWeights.json: the weights of the monthly composite score (Art. 25), versioned since
 * cities and years differ. Beijing's published formula (version 1, from 2021-09-24) weighs
 * response 0.1, resolution 0.5 and satisfaction 0.4; another county uses 30/35/35 (version 2 is
 * that example, from 2027-01-01). A month is scored with the version in force on its first day
 * (validFrom <= day < validTo), so a version in force is never edited: to change the weights,
 * add a version with a later validFrom and close the previous one with validTo = that date.
 * The three weights are fractions that sum to 1.
 */
export interface AssessmentWeightsRecord {
  version: number;
  /** ISO date (YYYY-MM-DD), inclusive. */
  validFrom: string;
  /** ISO date (YYYY-MM-DD), exclusive; null or absent = still in force. */
  validTo?: string | null;
  response: number;
  resolution: number;
  satisfaction: number;
  description: string;
}
