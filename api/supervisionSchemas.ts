/**
 * TypeBox schemas of the supervision read routes (api/routes/v1/supervision.ts): a unit's
 * accountability records, the center's dispatch accuracy and the month's hot spots.
 */
import { Type } from '@sinclair/typebox';
import { ACCOUNTABILITY_KINDS } from '../domain/appeal.js';
import { HOT_SPOT_RULES } from '../db/queries/hotSpots.js';
import { Nullable, StringEnum } from './schemaTypes.js';

const Instant = Type.String({ format: 'date-time' });

export const AccountabilityKindSchema = StringEnum(ACCOUNTABILITY_KINDS, {
  description: 'What the unit is accountable for (Art. 29)',
});

export const AccountabilityRecordView = Type.Object({
  appealId: Type.String(),
  stepKey: Type.String({ description: "The record's own key in the case" }),
  kind: AccountabilityKindSchema,
  detail: Nullable(Type.String()),
  at: Instant,
  auditEvent: Nullable(
    Type.Object({
      seq: Type.Integer({ description: "The event's place in the case's audit trail" }),
      stepKey: Type.String(),
      type: Type.String({ description: 'e.g. `acceptance_overdue`, `objection_upheld`, `callback_answered`' }),
      actor: Type.String(),
      reason: Nullable(Type.String()),
      at: Instant,
    }),
    {
      description:
        'The audit event the record stems from (by its audit step key); null when the breach is no step of the case',
    },
  ),
});

export const UnitAccountabilityView = Type.Object(
  {
    unitId: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    month: Type.String(),
    summary: Type.Object({
      total: Type.Integer(),
      byKind: Type.Object(
        Object.fromEntries(ACCOUNTABILITY_KINDS.map((k) => [k, Type.Integer()])) as Record<
          (typeof ACCOUNTABILITY_KINDS)[number],
          ReturnType<typeof Type.Integer>
        >,
        { description: 'Records by kind; every kind is listed, 0 when none' },
      ),
    }),
    items: Type.Array(AccountabilityRecordView),
  },
  { title: 'UnitAccountability' },
);

const DispatchCountFields = {
  dispatches: Type.Integer({ description: 'Cases whose first dispatch (`dispatched` audit event) lies in the month' }),
  objectionsRaised: Type.Integer({ description: '`dispatch_objection` events of those cases' }),
  objectionsGranted: Type.Integer({ description: '`objection_granted` events of those cases' }),
  objectionsUpheld: Type.Integer({ description: '`objection_upheld` events of those cases' }),
  redispatches: Type.Integer({ description: '`dispatched` events after the first of each case' }),
  misdispatched: Type.Integer({
    description: 'Cases whose first unit did not keep the order: an objection granted or a re-dispatch (once per case)',
  }),
  accuracy: Nullable(Type.Number(), {
    description: '1 − misdispatched ÷ dispatches, 4 decimals; null without dispatches',
  }),
};

export const DispatchAccuracyView = Type.Object(
  {
    month: Type.String(),
    total: Type.Object(DispatchCountFields),
    categories: Type.Array(
      Type.Object({ categoryCode: Type.String(), categoryName: Nullable(Type.String()), ...DispatchCountFields }),
    ),
    rules: Type.Array(
      Type.Object({
        categoryCode: Type.String(),
        categoryName: Nullable(Type.String()),
        rule: Nullable(
          Type.Object({
            id: Type.Integer(),
            scope: Type.String({ description: '`street`, `district` or `city`' }),
            districtId: Nullable(Type.String()),
            streetId: Nullable(Type.String()),
            unitId: Nullable(Type.String()),
            unitKind: Nullable(Type.String({ description: '`street_of_location` or `district_government`' })),
          }),
          {
            description:
              "The dispatch catalogue entry matching the cases' category and place; null: none matched (fallback)",
          },
        ),
        ...DispatchCountFields,
      }),
    ),
  },
  { title: 'DispatchAccuracy' },
);

const R = HOT_SPOT_RULES;
export const HotSpotsView = Type.Object(
  {
    month: Type.String(),
    top: Type.Array(
      Type.Object({
        categoryId: Type.String(),
        categoryName: Nullable(Type.String()),
        streetId: Type.String(),
        streetName: Nullable(Type.String()),
        districtId: Nullable(Type.String()),
        count: Type.Integer(),
        lastMonth: Type.Integer(),
        lastYear: Type.Integer({ description: 'The same month a year earlier' }),
      }),
      { description: `The ${R.topPairs} category × street pairs with the most appeals this month` },
    ),
    risingCategories: Type.Array(
      Type.Object({
        categoryId: Type.String(),
        categoryName: Nullable(Type.String()),
        count: Type.Integer(),
        lastMonth: Type.Integer(),
        change: Type.Integer({ description: 'count − lastMonth' }),
        ratio: Nullable(Type.Number(), { description: 'count ÷ lastMonth, 2 decimals; null when lastMonth is 0' }),
      }),
      {
        description: `At least ${R.risingMinCount} appeals and at least ${R.risingMinRatio} × last month (or none last month); by change, at most ${R.risingLimit}`,
      },
    ),
    recurringAddresses: Type.Array(
      Type.Object({
        streetId: Nullable(Type.String()),
        address: Type.String(),
        count: Type.Integer(),
        appealIds: Type.Array(Type.String()),
      }),
      {
        description: `The same address (blanks and case ignored) in the same street at least ${R.recurringMinCount} times; at most ${R.recurringLimit}`,
      },
    ),
    monthlyTopics: Type.Array(
      Type.Object({
        categoryId: Type.String(),
        categoryName: Nullable(Type.String()),
        count: Type.Integer(),
        lastMonth: Type.Integer(),
        lastYear: Type.Integer(),
        streets: Type.Integer({ description: "Streets and townships the month's appeals of the category came from" }),
        reason: Type.String({ description: 'The numbers behind the candidacy, in words' }),
      }),
      {
        description: `每月一题 candidates: at least ${R.topicMinCount} appeals from at least ${R.topicMinStreets} streets, not below last month or above last year; at most ${R.topicLimit}`,
      },
    ),
  },
  { title: 'HotSpots' },
);
