/**
 * TypeBox schemas of the HTTP API: the work order, every action's body, the case as the
 * API returns it, and the error body. They mirror `workflows/appeal/definitions.ts`; the
 * `by` party is never part of a body (it comes from the API key).
 */
import { Type, type SchemaOptions, type TSchema } from '@sinclair/typebox';
import type { ActionName } from '../domain/actions.js';
import {
  APPEAL_TYPES,
  CALLBACK_CHANNELS,
  CHANNELS,
  CLOSING_DISPOSITIONS,
  SATISFACTION,
  STAGES,
} from '../domain/appeal.js';
import type { HandlingUnitKind } from '../domain/appeal.js';
import {
  ATTACHMENT_CONTENT_TYPES,
  ATTACHMENT_KINDS,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_URL_LENGTH,
  MAX_ATTACHMENTS,
} from '../domain/attachments.js';
import { Discriminated, Nullable, PATTERNS, StringEnum } from './schemaTypes.js';

/** One of `values`, typed `string`: the domain and the routes read these fields as strings. */
const literals = (values: readonly string[], options?: SchemaOptions) => StringEnum<string>(values, options);

/** Bodies are strict: an unknown property is a 400, never silently dropped. */
const Body = <P extends Record<string, TSchema>>(
  properties: P,
  description?: string,
  example?: Record<string, unknown>,
) =>
  Type.Object(properties, {
    additionalProperties: false,
    ...(description ? { description } : {}),
    ...(example ? { examples: [example] } : {}),
  });
const Text = (maxLength = 2000, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: PATTERNS.notBlank.pattern, ...options });
/** An id in a path, query or body: appeal, unit, category, district, street. */
export const Id = Type.String({ minLength: 1, maxLength: 100, pattern: PATTERNS.id.pattern });

const MB = 1024 * 1024;
/** Art. 9(2): an image, a recording or a video by reference; the limits are `domain/attachments.ts`'s. */
export const AttachmentRefSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: MAX_ATTACHMENT_URL_LENGTH,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
      description: "Where the bytes are: an http(s) URL of the intake or unit system's store (never a `data:` URL)",
    }),
    contentType: literals(ATTACHMENT_CONTENT_TYPES),
    size: Type.Integer({
      minimum: 1,
      maximum: MAX_ATTACHMENT_BYTES,
      description: `Bytes: images at most ${ATTACHMENT_KINDS.image.maxBytes / MB} MB, audio ${ATTACHMENT_KINDS.audio.maxBytes / MB} MB, video ${ATTACHMENT_KINDS.video.maxBytes / MB} MB`,
    }),
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the bytes, 64 hex digits' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  {
    additionalProperties: false,
    title: 'AttachmentRef',
    examples: [
      {
        url: 'https://files.12345.example/intake/2026/11/30/leak.jpg',
        contentType: 'image/jpeg',
        size: 482113,
        sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      },
    ],
  },
);
const Attachments = Type.Optional(
  Type.Array(AttachmentRefSchema, {
    maxItems: MAX_ATTACHMENTS,
    description: `Images, audio and video by reference (Art. 9(2)), at most ${MAX_ATTACHMENTS}`,
  }),
);

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    /** For 400: where the problem is, e.g. `body/requester/phone`. */
    field: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
  },
  { $id: 'Error', title: 'Error' },
);

export const StartAppealBody = Body(
  {
    externalId: Type.Optional(
      Type.String({
        ...Id,
        description: "The intake system's own id: becomes the appeal id (and an idempotency key).",
      }),
    ),
    channel: literals(CHANNELS),
    appealType: literals(APPEAL_TYPES),
    categoryCode: Id,
    content: Text(5000),
    districtId: Type.Optional(Id),
    streetId: Type.Optional(Id),
    address: Type.Optional(Text(500)),
    requester: Type.Object(
      { name: Type.Optional(Text(100)), phone: Type.Optional(Type.String({ pattern: PATTERNS.phone.pattern })) },
      { additionalProperties: false },
    ),
    stabilityRisk: Type.Optional(Type.Boolean()),
    receivedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Instant of intake; defaults to now.' })),
    attachments: Attachments,
  },
  'The work order (工单) as recorded at intake.',
  {
    externalId: 'CALL-20261123-000123',
    channel: 'phone',
    appealType: 'help',
    categoryCode: 'utilities.water.outage',
    content: '小区停水两天，物业联系不上',
    districtId: 'chaoyang',
    requester: { name: '张三', phone: '13900000000' },
  },
);

const Party = Type.String({ description: '`center`, `intake`, `unit:<id>` or `coordinator:<id>`' });
const SubMatterStatus = literals(['open', 'done', 'late', 'ended'] as const, {
  description: '`ended`: the case closed while the sub-matter was open',
});
/** Keyed by every kind, so a kind added to the domain and not here does not compile. */
const UNIT_KINDS: Record<HandlingUnitKind, true> = {
  hotline_center: true,
  district_government: true,
  city_department: true,
  district_department: true,
  public_service_enterprise: true,
  sector_authority: true,
  central_military_liaison: true,
  street: true,
  township: true,
};
const Coordination = {
  coordinatorId: Type.String(),
  status: literals(['requested', 'answered', 'late', 'ended'] as const),
  reason: Type.String(),
  requestedAt: Type.Optional(Type.String()),
  dueAt: Type.String(),
  opinion: Type.Optional(Type.String()),
  answeredAt: Type.Optional(Type.String()),
};

const SummonedDepartment = Type.Object({
  unitId: Type.String(),
  status: SubMatterStatus,
  dueAt: Type.String(),
  reportedAt: Type.Optional(Type.String()),
  note: Type.Optional(Type.String({ description: 'What the department said when it reported in' })),
});
const Extension = Type.Object({
  status: literals(['requested', 'approved', 'denied', 'lapsed'] as const, {
    description:
      '`lapsed`: the result was reported while the request waited for the center, which then had nothing to decide',
  }),
  reason: Type.String(),
  requestedAt: Type.String(),
  decidedAt: Type.Optional(Type.String()),
  decisionReason: Type.Optional(Type.String()),
  extendedTo: Type.Optional(Type.String({ description: 'Approved: the handling deadline it set' })),
});

/** The work order as the caller may read it: the requester's contact in clear or masked (see `api/visibility.ts`). */
export const WorkOrderView = Type.Object(
  {
    channel: literals(CHANNELS),
    appealType: literals(APPEAL_TYPES),
    categoryCode: Type.String(),
    content: Type.String(),
    address: Type.Optional(Type.String()),
    districtId: Type.Optional(Type.String()),
    streetId: Type.Optional(Type.String()),
    receivedAt: Type.String(),
    stabilityRisk: Type.Boolean(),
    attachments: Type.Array(AttachmentRefSchema),
    requester: Type.Object(
      { name: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) },
      {
        description:
          'In clear for the center, admin and the lead unit; masked for everyone else (name `王*`, phone `137****0000`)',
      },
    ),
  },
  { description: 'The work order (工单) as recorded at intake' },
);

/** The lead unit's result of one round of handling. */
const ResultView = Type.Object({
  outcome: literals(['resolved', 'explained', 'unresolvable'] as const),
  summary: Type.String(),
  at: Type.String(),
  attachments: Type.Optional(Type.Array(AttachmentRefSchema)),
});

export const AppealCaseSchema = Type.Object(
  {
    appealId: Type.String(),
    workOrderNo: Type.Optional(
      Type.String({
        description:
          'The work order number (工单编号, `YYYYMMDD-NNNNNN`) the requester is told; every appeal route takes it in place of the id',
      }),
    ),
    stage: literals(STAGES),
    appealType: literals(APPEAL_TYPES),
    categoryCode: Type.String(),
    districtId: Type.Optional(Type.String()),
    streetId: Type.Optional(Type.String()),
    leadUnitId: Type.Optional(Type.String()),
    leadUnitKind: Type.Optional(literals(Object.keys(UNIT_KINDS) as HandlingUnitKind[])),
    supervisingUnitIds: Type.Array(Type.String()),
    involvedUnitIds: Type.Array(Type.String(), {
      description:
        'Every unit that may see the case: lead, supervising, co-handling, summoned, coordinating, consulted',
    }),
    stabilityRisk: Type.Optional(Type.Boolean()),
    workOrder: Type.Optional(WorkOrderView),
    coHandlers: Type.Array(
      Type.Object({
        unitId: Type.String(),
        task: Type.String(),
        dueAt: Type.String(),
        status: SubMatterStatus,
        workflowId: Type.String(),
        reportedAt: Type.Optional(Type.String()),
        lateReason: Type.Optional(Type.String()),
        interimAt: Type.Optional(Type.String()),
        interimReports: Type.Optional(
          Type.Array(Type.Object({ at: Type.String(), report: Type.String() }), {
            description: 'Its interim reports to the lead unit, oldest first',
          }),
        ),
        report: Type.Optional(Type.String({ description: 'Its final report to the lead unit (Art. 16)' })),
        attachments: Type.Optional(Type.Array(AttachmentRefSchema)),
      }),
    ),
    consultation: Type.Optional(
      Type.Object({
        candidateUnitIds: Type.Array(Type.String()),
        opinions: Type.Array(
          Type.Object({
            unitId: Type.String(),
            opinion: Type.String(),
            proposedLeadUnitId: Type.Optional(Type.String({ description: 'Who the unit proposes should lead' })),
          }),
        ),
      }),
    ),
    objection: Type.Optional(Type.Object({ unitId: Type.String(), reason: Type.String(), at: Type.String() })),
    whistle: Type.Optional(
      Type.Object({
        departments: Type.Array(SummonedDepartment, {
          description: 'Every department summoned, by this whistle or an earlier one',
        }),
        reason: Type.String({ description: 'Why the latest whistle was blown' }),
        blownAt: Type.Optional(Type.String()),
        earlier: Type.Optional(
          Type.Array(
            Type.Object({
              reason: Type.String(),
              blownAt: Type.Optional(Type.String()),
              departments: Type.Array(SummonedDepartment),
            }),
            {
              description:
                'The whistles blown before the latest, oldest first, each with the departments as they stood when the next was blown',
            },
          ),
        ),
      }),
    ),
    extension: Type.Optional(Extension),
    earlierExtensions: Type.Optional(
      Type.Array(Extension, {
        description: 'Extension requests before the current one (a later request or a re-handling round), oldest first',
      }),
    ),
    coordination: Type.Optional(
      Type.Object(Coordination, { description: "The lead unit's own coordination request (Art. 22), the latest" }),
    ),
    earlierCoordinations: Type.Optional(
      Type.Array(Type.Object(Coordination), {
        description:
          "The lead unit's coordination requests before the current one, oldest first (their authorities stay parties)",
      }),
    ),
    escalations: Type.Optional(
      Type.Array(
        Type.Object({
          ...Coordination,
          level: Type.Integer(),
          cause: literals(['acceptance', 'handling'] as const),
        }),
        { description: 'Tiers the process escalated to, in order (Art. 22)' },
      ),
    ),
    forwarding: Type.Optional(
      Type.Object(
        {
          liaisonUnitId: Type.String(),
          organ: Type.Optional(Type.String()),
          forwardedAt: Type.Optional(Type.String()),
          followUps: Type.Integer(),
          nextFollowUpAt: Type.Optional(Type.String()),
          feedback: Type.Optional(Type.String()),
          feedbackAt: Type.Optional(Type.String()),
        },
        { description: 'Where a central/military matter was forwarded, and its follow-up (Art. 23)' },
      ),
    ),
    mergedAppealIds: Type.Optional(
      Type.Array(Type.String(), { description: 'On an original: the appeals merged into it' }),
    ),
    overdueSince: Type.Optional(Type.String()),
    pendingActors: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Everyone who owes something now, as actors (`center`, `unit:<id>`, `coordinator:<id>`)',
      }),
    ),
    policy: Type.Optional(Type.Object({ code: Type.String(), version: Type.Integer() })),
    deadlines: Type.Record(Type.String(), Type.String()),
    dueAt: Type.Optional(Type.String()),
    overdue: Type.Boolean(),
    escalationLevel: Type.Integer(),
    calendarNote: Type.Optional(Type.String()),
    acceptanceReminders: Type.Integer(),
    firstContactAt: Type.Optional(Type.String()),
    result: Type.Optional(ResultView),
    earlierResults: Type.Optional(
      Type.Array(ResultView, {
        description: 'The results of earlier rounds, oldest first (a re-handling set each aside)',
      }),
    ),
    callback: Type.Optional(
      Type.Object({
        attempts: Type.Integer(),
        reached: Type.Optional(Type.Boolean()),
        contacted: Type.Optional(Type.Boolean()),
        resolved: Type.Optional(Type.Boolean()),
        satisfaction: Type.Optional(literals(SATISFACTION)),
        channel: Type.Optional(literals(CALLBACK_CHANNELS)),
        trigger: Type.Optional(
          literals(['deadline', 'result'] as const, {
            description: 'Why the callback started: the handling deadline expired, or the result was reported',
          }),
        ),
      }),
    ),
    rehandlings: Type.Integer(),
    runs: Type.Optional(
      Type.Integer({
        minimum: 2,
        description:
          'Workflow runs the case has taken, once a long case has continued as new (same workflow id; absent until then)',
      }),
    ),
    disposition: Type.Optional(Type.String()),
    answer: Type.Optional(Type.String()),
    originalAppealId: Type.Optional(Type.String()),
    triageHints: Type.Optional(
      Type.Object(
        {
          knowledge: Type.Array(
            Type.Object({ id: Type.String(), title: Type.String(), answer: Type.String(), score: Type.Number() }),
          ),
          duplicates: Type.Array(
            Type.Object({
              appealId: Type.String(),
              stage: Type.String(),
              leadUnitId: Nullable(Type.String()),
              dueAt: Nullable(Type.String()),
              disposition: Nullable(Type.String()),
              receivedAt: Type.String(),
              closedAt: Nullable(Type.String()),
            }),
          ),
        },
        {
          description:
            'For the triage (Art. 12-13): the best knowledge-base answers for the content, and open or recently closed appeals of the same requester, place and category',
        },
      ),
    ),
    nextActor: Type.String({
      description: 'Who must act next: `center`, `unit:<id>`, `coordinator:<id>`, `requester` or `none`.',
    }),
    waitingSince: Type.String(),
    timeline: Type.Array(
      Type.Object({ at: Type.String(), type: Type.String(), actor: Party, reason: Type.Optional(Type.String()) }),
    ),
    source: literals(['workflow', 'record'] as const, {
      description:
        '`record`: the case as its workflow wrote it to the case record (at every change while open, its final case once closed); `workflow`: by query, for a running appeal started before its case was kept in the record.',
    }),
  },
  { $id: 'AppealCase', title: 'AppealCase' },
);

export const AppealSummary = Type.Object(
  {
    appealId: Type.String(),
    workOrderNo: Nullable(Type.String(), { description: 'The work order number (工单编号)' }),
    stage: literals(STAGES),
    appealType: Type.String(),
    categoryCode: Type.String(),
    contentFirstLine: Type.String({
      description: "The content's first line, at most 80 characters (the requester's contact is never in a summary)",
    }),
    districtId: Nullable(Type.String()),
    streetId: Nullable(Type.String()),
    leadUnitId: Nullable(Type.String()),
    coHandlerIds: Type.Array(Type.String()),
    involvedUnitIds: Type.Array(Type.String(), { description: 'Every unit that may see the case' }),
    nextActor: Nullable(Type.String(), {
      description: 'Who must act next: `center`, `unit:<id>`, `coordinator:<id>`, `requester` or `none`',
    }),
    pendingActors: Type.Array(Type.String(), {
      description:
        "Everyone who owes something on the case now, the main process and its sub-matters alike (a co-handler's report, a coordinator's opinion): an inbox reader finds `unit:<id>` or `coordinator:<id>` of its own here",
    }),
    waitingSince: Nullable(Type.String()),
    dueAt: Nullable(Type.String()),
    overdue: Type.Boolean(),
    overdueSince: Nullable(Type.String(), {
      description:
        'Since when the case is overdue: the first window it missed in its stage, until the obligation is met',
    }),
    escalationLevel: Type.Integer(),
    receivedAt: Type.String(),
    closedAt: Nullable(Type.String()),
  },
  { $id: 'AppealSummary', title: 'AppealSummary' },
);

/**
 * A callback answer (Art. 24): a reached requester answers all three questions, so each is
 * required once `reached` is true (a missing one is a 400 naming it); an unreached callback
 * has none to give.
 */
const CallbackAnswer = Type.Object(
  {
    reached: Type.Boolean(),
    contacted: Type.Optional(Type.Boolean()),
    resolved: Type.Optional(Type.Boolean()),
    satisfaction: Type.Optional(literals(SATISFACTION)),
    channel: Type.Optional(literals(CALLBACK_CHANNELS)),
  },
  {
    additionalProperties: false,
    if: { properties: { reached: { const: true } }, required: ['reached'] },
    then: { required: ['contacted', 'resolved', 'satisfaction'] },
    examples: [{ reached: true, contacted: true, resolved: true, satisfaction: 'satisfied', channel: 'phone' }],
  },
);

/**
 * Each action's body (without `by`, which comes from the API key), keyed by the action's name
 * in the rules table (`domain/actions.ts`): the routes are generated from that table, so an
 * action without a body here does not compile.
 */
export const ActionBodies = {
  triageAppeal: Discriminated(
    'disposition',
    [
      Body({
        disposition: Type.Literal('dispatch'),
        reason: Type.Optional(Text()),
        unitId: Type.Optional(Id),
        consultation: Type.Optional(Type.Boolean()),
      }),
      Body({
        disposition: literals(CLOSING_DISPOSITIONS),
        reason: Text(),
        answer: Text(),
        emergencyNumber: Type.Optional(literals(['110', '119', '120', '122'] as const)),
        legalChannel: Type.Optional(Text(200)),
        originalAppealId: Type.Optional(Id),
        knowledgeEntryId: Type.Optional(Id),
      }),
    ],
    { description: 'Dispatch by the catalogue (or to `unitId`), or close with one of the dispositions of Art. 12.' },
  ),
  giveConsultationOpinion: Body({ opinion: Text(), proposedLeadUnitId: Type.Optional(Id) }),
  concludeConsultation: Body({ leadUnitId: Id, reason: Text() }),
  acceptDispatch: Body({}),
  objectToDispatch: Body({ reason: Text() }, undefined, { reason: '该路段属市政道路，应由市城管委处理' }),
  decideObjection: Body({
    decision: literals(['upheld', 'redispatch'] as const),
    reason: Text(),
    newUnitId: Type.Optional(Id),
  }),
  recordForwarding: Body({ organ: Text(200), note: Type.Optional(Text()) }, undefined, {
    organ: '中央驻京单位联络处',
    note: '已转请核实',
  }),
  recordForwardingFeedback: Body({ feedback: Text() }),
  recordFirstContact: Body({ note: Type.Optional(Text()) }),
  addCoHandler: Body({ unitId: Id, task: Text() }, undefined, {
    unitId: 'chaoyang-housing',
    task: '核查物业费收费标准',
  }),
  reportCoHandlerPart: Body({
    report: Text(),
    attachments: Attachments,
    lateReason: Type.Optional(Text()),
    interim: Type.Optional(Type.Boolean()),
  }),
  blowWhistle: Body({ departmentIds: Type.Array(Id, { minItems: 1, maxItems: 20 }), reason: Text() }, undefined, {
    departmentIds: ['chaoyang-urban-enforcement'],
    reason: '占道经营需城管执法',
  }),
  reportIn: Body({ note: Text() }),
  requestExtension: Body({ reason: Text() }, undefined, { reason: '需协调产权单位，预计再需5个工作日' }),
  decideExtension: Body({ approved: Type.Boolean(), reason: Text() }),
  requestCoordination: Body({ coordinatorId: Id, reason: Text() }),
  giveCoordinationOpinion: Body({ opinion: Text() }),
  reportResult: Body(
    {
      outcome: literals(['resolved', 'explained', 'unresolvable'] as const),
      summary: Text(),
      attachments: Attachments,
    },
    undefined,
    { outcome: 'resolved', summary: '已恢复供水' },
  ),
  recordCallback: CallbackAnswer,
  orderRehandling: Body({ reason: Text() }),
  withdrawAppeal: Body({ reason: Text() }),
  mergeAppeal: Body({ originalAppealId: Id, reason: Text() }),
} satisfies Record<ActionName, TSchema>;

/** One unit's assessment of a closed case (Art. 25) with the state of its exemption (Art. 25, 31). */
export const AssessmentView = Type.Object(
  {
    appealId: Type.String(),
    unitId: Type.String(),
    role: Type.String({ description: '`lead`, `co_handler` or `department` (summoned by the whistle)' }),
    closedAt: Type.String(),
    callbackValid: Type.Boolean({
      description: 'The requester was reached and answered all three questions: only then do the answers count',
    }),
    contacted: Nullable(Type.Boolean(), {
      description: "The requester's answer: was the unit in contact (null unless the callback is valid)",
    }),
    resolved: Nullable(Type.Boolean(), {
      description: "The requester's answer: is it resolved (null unless the callback is valid)",
    }),
    satisfaction: Nullable(Type.String(), {
      description: "The requester's answer: `satisfied`, `basically_satisfied` or `unsatisfied`",
    }),
    claimedContacted: Type.Boolean({ description: 'The unit recorded a first contact' }),
    claimedResolved: Type.Boolean({ description: 'The unit reported the outcome resolved' }),
    reported: Nullable(Type.Boolean(), {
      description:
        'The lead reported its result; a co-handler gave its final report; a summoned department reported in',
    }),
    responded: Type.Boolean({
      description: "Summary of the unit's response (a recorded or confirmed contact; a report); rates use `contacted`",
    }),
    exempt: Type.Boolean({ description: 'Left out of the rates: a withdrawn or merged case, or an exemption granted' }),
    exemptReason: Nullable(Type.String()),
    exemption: Nullable(
      Type.Object({
        status: literals(['requested', 'granted', 'refused'] as const),
        reason: Type.String({ description: "The unit's reason" }),
        requestedAt: Type.String(),
        decisionReason: Nullable(Type.String()),
        decidedAt: Nullable(Type.String()),
      }),
      { description: "The unit's exemption request and the center's decision; null if none was asked" },
    ),
  },
  { title: 'Assessment' },
);

export const ExemptionRequestBody = Body({ reason: Text() }, 'Why the assessment should not count (Art. 31).', {
  reason: '停水系上游市政管网爆管所致，非本单位责任',
});
export const ExemptionDecisionBody = Body(
  { granted: Type.Boolean(), reason: Text() },
  'The center grants (the assessment becomes exempt) or refuses the request.',
  { granted: true, reason: '经核实属不可抗力' },
);

const Rate = (description: string) => Nullable(Type.Number(), { description });
const RateFields = {
  rows: Type.Integer({ description: "The unit's rows of the month, exempt ones and invalid callbacks included" }),
  exempt: Type.Integer({ description: 'Exempt rows: left out' }),
  invalidCallbacks: Type.Integer({ description: 'Rows not exempt whose callback is not valid: left out' }),
  valid: Type.Integer({ description: 'Rows not exempt with a valid callback: the denominator' }),
  contacted: Type.Integer(),
  resolved: Type.Integer(),
  satisfied: Type.Integer(),
  basicallySatisfied: Type.Integer(),
  response: Rate('contacted ÷ valid, 4 decimals; null without valid callbacks'),
  resolution: Rate('resolved ÷ valid, 4 decimals; null without valid callbacks'),
  satisfaction: Rate('(satisfied + 0.9 × basically satisfied) ÷ valid, 4 decimals; null without valid callbacks'),
  composite: Rate(
    "The weights of the month's version applied to the three rates, 4 decimals; null without valid callbacks or weights",
  ),
};

/** The composite's weights version in force on the month's first day (null when none is). */
export const WeightsView = Nullable(
  Type.Object({
    version: Type.Integer(),
    response: Type.Number(),
    resolution: Type.Number(),
    satisfaction: Type.Number(),
  }),
  { description: "The weights version in force on the month's first day; null when none is" },
);

export const RankingLevel = literals(['street', 'department', 'enterprise'] as const, {
  description:
    '`street`: streets and townships together; `department`: city and district departments, sector authorities and district governments; `enterprise`: public service enterprises',
});

const FrozenAt = Nullable(Type.String({ format: 'date-time' }), {
  description:
    'When the month was frozen: the figures are the published ones and never change. null: the month is not frozen, the figures are live',
});

/** One unit's rates of one month (Art. 25). */
export const UnitMonthView = Type.Object(
  {
    unitId: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    level: Nullable(RankingLevel, {
      description: `The ranking level; null for a unit not ranked. ${RankingLevel.description}`,
    }),
    month: Type.String(),
    weights: WeightsView,
    rates: Type.Object(RateFields),
    items: Type.Array(AssessmentView),
    frozenAt: FrozenAt,
  },
  { title: 'UnitMonthRates' },
);

/** A month's ranking of one level (Art. 25). */
export const RankingView = Type.Object(
  {
    month: Type.String(),
    level: RankingLevel,
    weights: WeightsView,
    items: Type.Array(
      Type.Object({
        unitId: Type.String(),
        name: Type.String(),
        kind: Type.String(),
        rank: Nullable(Type.Integer(), { description: 'null: no valid callback this month' }),
        previousRank: Nullable(Type.Integer(), { description: 'The rank of the previous month' }),
        rankChange: Nullable(Type.Integer(), {
          description: 'previousRank − rank (positive: moved up); null unless ranked in both months',
        }),
        ...RateFields,
      }),
    ),
    frozenAt: FrozenAt,
  },
  { title: 'Ranking' },
);

/** What freezing a month did (Art. 25). */
export const FrozenMonthView = Type.Object(
  {
    month: Type.String(),
    frozenNow: Type.Boolean({
      description: 'false: the month was already frozen (by the execution named); nothing changed',
    }),
    frozenAt: Type.String({ format: 'date-time' }),
    workflowId: Type.String({ description: 'The execution that froze the month' }),
    runId: Type.String(),
    rows: Type.Integer({ description: 'Ranking rows stored by this freeze, every level (0 when already frozen)' }),
  },
  { title: 'FrozenMonth' },
);
