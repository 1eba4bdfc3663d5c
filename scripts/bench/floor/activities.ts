/** The recorded Update's local activity: it does nothing, so what it costs is the SDK's and the server's. */
export const floorActivities = {
  async floorRecord(): Promise<null> {
    return null;
  },
};
export type FloorActivities = typeof floorActivities;
