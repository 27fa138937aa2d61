/** The required deploy settings (infra/cdk/settings.ts) for tests that synthesize the stack. */
export const TEST_DEPLOY_SETTINGS = {
  spotifyClientId: "sample-public-client-id-77",
  upstashRedisRestUrl: "https://sample-db.upstash.io",
} as const;
