import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Album, Artist } from "../domain/entities.ts";
import { bumpStatsGeneration } from "./aggregates.ts";
import { batchGet, countsUpdate, doc, get, listIdsOnIndex, type StoreContext } from "./context.ts";
import type { Store } from "./port.ts";

type CatalogStore = Pick<
  Store,
  | "putArtistIfAbsent"
  | "getArtist"
  | "batchGetArtists"
  | "listUnsyncedArtists"
  | "saveArtistMetadata"
  | "putAlbumIfAbsent"
  | "getAlbum"
  | "listUnsyncedAlbums"
  | "saveAlbumMetadata"
>;

/** Spotify's artists and albums: the shared catalog (table.ts `catalogKeys`), nobody's own. */
export function catalogStore(ctx: StoreContext): CatalogStore {
  const { client, TableName, keys } = ctx;

  /**
   * putIfAbsent for artists and albums, then counts the new one. Two writes, not a transaction:
   * recordListen calls this for every artist of a track new to the hoard, and the usual
   * outcome (already there) stays one conditional put. A crash between the two leaves the count one short
   * until the next rebuild-aggregates recounts.
   */
  async function putIfAbsentCounted(item: Record<string, unknown>, counter: "artists" | "albums") {
    try {
      await client.send(
        new PutCommand({ TableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
    await client.send(new UpdateCommand(countsUpdate(ctx, { [counter]: 1 }, keys.catalogCounts).Update));
    return true;
  }

  return {
    putArtistIfAbsent: (artist) =>
      putIfAbsentCounted(
        {
          ...keys.artist(artist.artist_id),
          entity: "artist",
          gsi1pk: keys.unsyncedArtists,
          gsi1sk: artist.artist_id,
          artist_id: artist.artist_id,
          name: artist.name,
          genres: null,
          popularity: null,
          image_url: null,
          synced_at: null,
        } satisfies Artist & Record<string, unknown>,
        "artists",
      ),
    getArtist: (id) => get<Artist>(ctx, keys.artist(id)),
    async batchGetArtists(ids) {
      const items = await batchGet(
        ctx,
        [...new Set(ids)].map((id) => keys.artist(id)),
      );
      return items.map((i) => doc<Artist>(i));
    },
    listUnsyncedArtists: (limit) => listIdsOnIndex(ctx, keys.unsyncedArtists, limit),
    async saveArtistMetadata(artist) {
      // Writing the item without gsi1pk takes it off the sparse "unsynced" index.
      const old = await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.artist(artist.artist_id), entity: "artist", ...artist },
          ReturnValues: "ALL_OLD",
        }),
      );
      // Statistics snapshots hold genre totals summed with the genres of their day, and the
      // artist is every listener's: all their snapshots go stale, not just the syncing one's.
      if (JSON.stringify(old.Attributes?.genres ?? null) !== JSON.stringify(artist.genres ?? null)) {
        await bumpStatsGeneration(ctx, "genres");
      }
    },

    putAlbumIfAbsent: (album) =>
      putIfAbsentCounted(
        {
          ...keys.album(album.album_id),
          entity: "album",
          gsi1pk: keys.unsyncedAlbums,
          gsi1sk: album.album_id,
          ...album,
          label: null,
          release_date: null,
          album_type: null,
          total_tracks: null,
          synced_at: null,
        } satisfies Album & Record<string, unknown>,
        "albums",
      ),
    getAlbum: (id) => get<Album>(ctx, keys.album(id)),
    listUnsyncedAlbums: (limit) => listIdsOnIndex(ctx, keys.unsyncedAlbums, limit),
    async saveAlbumMetadata(album) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.album(album.album_id), entity: "album", ...album } }),
      );
    },
  };
}
