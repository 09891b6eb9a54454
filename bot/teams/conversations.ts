import type { Kysely } from 'kysely';
import { groupedWrite } from '../store/groupCommit';
import { prepared, preparedPerCount } from '../store/prepared';
import type { Database, TeamsConversationsTable } from '../store/schema';

/** What the bot must remember of a conversation to write to it later (a conversation reference, flattened). */
export type ConversationRecord = Omit<TeamsConversationsTable, 'conversationType' | 'updatedDateTime'> & {
  conversationType: 'personal' | 'groupChat' | 'channel';
};

/**
 * Conversation references in the database (any instance may send a notice): saved on install, on
 * every message and when added to a team, removed on uninstall.
 */
export class ConversationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async save(record: ConversationRecord, now: Date): Promise<void> {
    const row: TeamsConversationsTable = { ...record, updatedDateTime: now.toISOString() };
    await this.db
      .insertInto('teams_conversations')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          serviceUrl: row.serviceUrl,
          locale: row.locale,
          userMri: row.userMri,
          userId: row.userId,
          aadGroupId: row.aadGroupId,
          teamId: row.teamId,
          botId: row.botId,
          updatedDateTime: row.updatedDateTime,
        }),
      )
      .execute();
  }

  async exists(conversationId: string): Promise<boolean> {
    return (await this.db.selectFrom('teams_conversations').select('id').where('id', '=', conversationId).executeTakeFirst()) !== undefined;
  }

  async remove(conversationId: string): Promise<void> {
    await this.db.deleteFrom('teams_cards').where('conversationId', '=', conversationId).execute();
    await this.db.deleteFrom('teams_conversations').where('id', '=', conversationId).execute();
  }

  /** The person's personal chat with the bot, the most recently used one first. */
  async personal(userId: string): Promise<ConversationRecord | undefined> {
    const row = await personalChat.first(this.db, { userId });
    return row ? toRecord(row) : undefined;
  }

  /** `personal` for many people at once: each one's most recently used personal chat. */
  async personalOf(userIds: readonly string[]): Promise<Map<string, ConversationRecord>> {
    const found = new Map<string, ConversationRecord>();
    for (let i = 0; i < userIds.length; i += 500) {
      const chunk = userIds.slice(i, i + 500);
      const rows = await personalChatsOf(chunk.length).all(this.db, Object.fromEntries(chunk.map((u, k) => [k, u])));
      for (const row of rows) if (row.userId && !found.has(row.userId)) found.set(row.userId, toRecord(row));
    }
    return found;
  }

  /** A team the bot is installed in whose group has `userId` as a member or owner (to start a personal chat from). */
  async sharedTeam(userId: string): Promise<ConversationRecord | undefined> {
    const row = await this.db
      .selectFrom('teams_conversations as c')
      .selectAll('c')
      .where('c.conversationType', '=', 'channel')
      .where('c.aadGroupId', 'is not', null)
      .where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('group_members as m').select('m.memberId').whereRef('m.groupId', '=', 'c.aadGroupId').where('m.memberId', '=', userId)),
          eb.exists(eb.selectFrom('group_owners as o').select('o.ownerId').whereRef('o.groupId', '=', 'c.aadGroupId').where('o.ownerId', '=', userId)),
        ]),
      )
      .orderBy('c.updatedDateTime', 'desc')
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}

// A card click reads the clicker's chat and the chats of a stage's few approvers: statements compiled once
// (store/prepared.ts), one per list length up to 8; longer lists are built each time.
const personalChat = prepared((db, p: { userId: string }) =>
  db.selectFrom('teams_conversations').selectAll().where('userId', '=', p.userId).where('conversationType', '=', 'personal').orderBy('updatedDateTime', 'desc'),
);
const personalChatsQuery = (length: number) => (db: Kysely<Database>, p: Record<string, string>) =>
  db
    .selectFrom('teams_conversations')
    .selectAll()
    .where(
      'userId',
      'in',
      Array.from({ length }, (_, k) => p[k]),
    )
    .where('conversationType', '=', 'personal')
    .orderBy('updatedDateTime', 'desc');
const personalChatsOf = preparedPerCount(8, personalChatsQuery);

function toRecord(row: TeamsConversationsTable): ConversationRecord {
  const { updatedDateTime: _updated, ...rest } = row;
  void _updated;
  return { ...rest, conversationType: rest.conversationType as ConversationRecord['conversationType'] };
}

/**
 * Marks `noConversation`, in one statement, the pending notices of people the bot cannot reach: no
 * personal chat, and no team with the bot whose group they belong to. Most recipients of a busy
 * engine never talk to the bot; they cost one statement per pass instead of three queries each.
 */
export async function keepUnreachableNotices(db: Kysely<Database>): Promise<number> {
  // Committed with the other writes of this turn of the event loop on SQLite (it runs on every pass of the runner).
  return groupedWrite(db, (tx) => unreachableNotices.run(tx, {}));
}

// Three separate NOT EXISTS, each an index search from the recipient (their personal chat; the teams with the bot
// whose group they are a member or owner of). One OR across them made SQLite scan every stored conversation for
// every pending notice: 6–18 ms of a blocked event loop per pass with 1,000 notices pending and 260 chats.
// A pass looks at the oldest `unreachableWindow` notices never tried (the queue index, in order), not at every
// pending one: the reachable ones among them stay pending until the sender takes them, and each pass would look
// at all of them again (14 ms per pass with 50,000 waiting). The sender's claim sets aside what it meets anyway.
const unreachableWindow = 500;
const unreachableNotices = prepared((db, _p: Record<string, never>) =>
  db
    .updateTable('notifications')
    .set({ teamsState: 'noConversation', teamsError: 'no personal chat and no team shared with the bot' })
    .where('id', 'in', (eb) =>
      eb.selectFrom('notifications as w').select('w.id').where('w.teamsState', '=', 'pending').where('w.teamsNextAttemptDateTime', 'is', null).orderBy('w.createdDateTime').orderBy('w.id').limit(unreachableWindow),
    )
    .where((eb) => eb.not(eb.exists(eb.selectFrom('teams_conversations as c').select('c.id').whereRef('c.userId', '=', 'notifications.recipientId').where('c.conversationType', '=', 'personal'))))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('group_members as m').innerJoin('teams_conversations as c', 'c.aadGroupId', 'm.groupId').select('c.id').whereRef('m.memberId', '=', 'notifications.recipientId').where('c.conversationType', '=', 'channel'),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('group_owners as o').innerJoin('teams_conversations as c', 'c.aadGroupId', 'o.groupId').select('c.id').whereRef('o.ownerId', '=', 'notifications.recipientId').where('c.conversationType', '=', 'channel'),
        ),
      ),
    ),
);
