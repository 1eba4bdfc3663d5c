/** Sample appeals that tests, the benchmark and the demo share: real reference data, made-up requesters. */

/** A water outage in Chaoyang as an intake system posts it; the catalogue dispatches it to the water company. */
export const waterOutage = (externalId?: string) => ({
  ...(externalId ? { externalId } : {}),
  channel: 'phone' as const,
  appealType: 'help' as const,
  categoryCode: 'utilities.water.outage',
  content: '小区停水两天',
  districtId: 'chaoyang',
  requester: { name: '张三', phone: '13900000000' },
});
