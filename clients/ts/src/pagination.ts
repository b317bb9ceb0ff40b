import type { FeedPage, Page } from "./types.js";

/**
 * Every item of a cursor-paginated list, page after page, until
 * next_cursor is null. fetchPage gets undefined for the first page, then
 * each next_cursor in turn.
 */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (page.next_cursor === null || page.next_cursor === "") {
      return;
    }
    if (page.next_cursor === cursor) {
      throw new Error(`pagination: the server returned the same cursor twice (${cursor})`);
    }
    cursor = page.next_cursor;
  }
}

/**
 * Every event of the feed after `after` (from the oldest kept without it),
 * page after page, until has_more is false: the events settled now. The
 * next_cursor of the last page read is returned when the iteration ends, to
 * pass as `after` when polling again later.
 */
export async function* readFeed<T>(
  fetchPage: (after: string | undefined) => Promise<FeedPage<T>>,
  after?: string,
): AsyncGenerator<T, string | undefined, undefined> {
  let cursor = after;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    const next = page.next_cursor ?? cursor;
    if (!page.has_more) {
      return next;
    }
    if (next === cursor) {
      throw new Error(`event feed: has_more with no new cursor after ${cursor}`);
    }
    cursor = next;
  }
}
