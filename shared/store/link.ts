import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SpotifyLink } from "../domain/entities.ts";
import { get, type StoreContext } from "./context.ts";
import type { Store } from "./port.ts";

type LinkStore = Pick<
  Store,
  | "getSpotifyLink"
  | "saveSpotifyLink"
  | "rotateSpotifyRefreshToken"
  | "deleteSpotifyLink"
  | "setSpotifyQuotaUntil"
  | "setLoopUntil"
  | "markSpotifyNeedsReauth"
>;

/** A listener's Spotify link, and the quota back-off and loop lease noted on it. */
export function linkStore(ctx: StoreContext): LinkStore {
  const { client, TableName, keys } = ctx;

  /** Fields of the link item, if there is a link (unlinked: nothing to note). */
  async function updateLink(set: Record<string, unknown>): Promise<void> {
    const names = Object.keys(set);
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.spotifyLink,
          // Placeholders for the names too: `scope` is one of DynamoDB's reserved words.
          UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(", ")}`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
          ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, set[n]])),
        }),
      );
    } catch (err) {
      if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
    }
  }

  return {
    getSpotifyLink: () => get<SpotifyLink>(ctx, keys.spotifyLink, true),
    async saveSpotifyLink(link) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.spotifyLink, entity: "link", ...link } }),
      );
    },
    rotateSpotifyRefreshToken: (refreshToken, scope) => updateLink({ refresh_token: refreshToken, scope }),
    async deleteSpotifyLink() {
      await client.send(new DeleteCommand({ TableName, Key: keys.spotifyLink }));
    },
    setSpotifyQuotaUntil: (until) => updateLink({ quota_until: until }),
    setLoopUntil: (until) => updateLink({ loop_until: until }),
    markSpotifyNeedsReauth: (reason) => updateLink({ needs_reauth: true, reauth_reason: reason }),
  };
}
