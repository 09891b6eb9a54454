import { type Kysely, sql } from 'kysely';
import { newId } from '../context';
import { groupedWrite } from '../store/groupCommit';
import { prepared, preparedPerCount } from '../store/prepared';
import type { Database, TeamsCardsTable } from '../store/schema';

/**
 * The cards the bot sent that must change later, per person: approval cards (subject
 * `requestId/stageId`) are updated when anyone decides; status cards (`requestId`) as requests move.
 */
export class SentCards {
  // Approval cards: subject `requestId/stageId`; `findByPrefix` with `requestId/` finds every stage's cards.
  constructor(private readonly db: Kysely<Database>) {}

  /** Remembers a card sent (a person may hold several cards of one subject: each is updated). */
  async save(card: Omit<TeamsCardsTable, 'id' | 'createdDateTime' | 'facts'> & { facts: object }, now: Date): Promise<void> {
    // On SQLite committed with the other writes of this turn of the event loop (group commit), not alone.
    await groupedWrite(this.db, (tx) =>
      tx
        .insertInto('teams_cards')
        .values({ ...card, facts: JSON.stringify(card.facts), id: newId(), createdDateTime: now.toISOString() })
        .execute(),
    );
  }

  /** The newest card of this kind and subject a person holds (its facts are the current ones). */
  async find(kind: string, subjectId: string, userId: string): Promise<(TeamsCardsTable & { factsObject: Record<string, unknown> }) | undefined> {
    const row = await this.db
      .selectFrom('teams_cards')
      .selectAll()
      .where('kind', '=', kind)
      .where('subjectId', '=', subjectId)
      .where('userId', '=', userId)
      .orderBy('createdDateTime', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? { ...row, factsObject: JSON.parse(row.facts) as Record<string, unknown> } : undefined;
  }

  /** A person's cards of `kind` whose subject starts with `prefix` (all stages of a request). */
  async findByPrefix(kind: string, prefix: string, userId: string): Promise<StoredCard[]> {
    const rows = await this.db.selectFrom('teams_cards').selectAll().where('kind', '=', kind).where('subjectId', 'like', `${prefix}%`).where('userId', '=', userId).execute();
    return rows.map(withFacts);
  }

  /** A person's cards of `kind` and exactly this subject (by the index, which `like` cannot use on SQLite). */
  async heldBy(kind: string, subjectId: string, userId: string): Promise<StoredCard[]> {
    return (await cardsHeldBy.all(this.db, { kind, subjectId, userId })).map(withFacts);
  }

  /** Every holder's cards of this kind and subject, newest first (a stage's approval cards, for all its approvers at once). */
  async ofSubject(kind: string, subjectId: string): Promise<StoredCard[]> {
    return (await cardsOfSubject.all(this.db, { kind, subjectId })).map(withFacts);
  }

  /** Records that these cards show their stage's decision (kept in their facts, as read with the cards; see `ApprovalCardUpdates`). */
  async markDecisionShown(cards: ReadonlyArray<Pick<StoredCard, 'id' | 'factsObject'>>): Promise<void> {
    const marked = new Map<string, string>();
    for (const card of cards) if (card.factsObject.decisionShown !== true) marked.set(card.id, JSON.stringify({ ...card.factsObject, decisionShown: true }));
    if (marked.size === 0) return;
    if (marked.size === 1) {
      const [[id, facts]] = marked;
      await groupedWrite(this.db, (tx) => setFacts.run(tx, { id, facts }));
      return;
    }
    // A decision's cards (every holder's) in one statement: one write, not one per card.
    const params: Record<string, string> = {};
    [...marked].forEach(([id, facts], k) => {
      params[`id${k}`] = id;
      params[`facts${k}`] = facts;
    });
    await groupedWrite(this.db, (tx) => setFactsOfMany(marked.size).run(tx, params));
  }
}

/** A stored card with its facts parsed. */
export type StoredCard = TeamsCardsTable & { factsObject: Record<string, unknown> };

const withFacts = (row: TeamsCardsTable): StoredCard => ({ ...row, factsObject: JSON.parse(row.facts) as Record<string, unknown> });

// Statements of every card click, compiled once (store/prepared.ts).
const cardsHeldBy = prepared((db, p: { kind: string; subjectId: string; userId: string }) =>
  db.selectFrom('teams_cards').selectAll().where('kind', '=', p.kind).where('subjectId', '=', p.subjectId).where('userId', '=', p.userId),
);
const cardsOfSubject = prepared((db, p: { kind: string; subjectId: string }) =>
  db.selectFrom('teams_cards').selectAll().where('kind', '=', p.kind).where('subjectId', '=', p.subjectId).orderBy('createdDateTime', 'desc').orderBy('id', 'desc'),
);
const setFacts = prepared((db, p: { id: string; facts: string }) => db.updateTable('teams_cards').set({ facts: p.facts }).where('id', '=', p.id));
// Several cards' facts at once (`id0`/`facts0`, `id1`/`facts1`, …): compiled once per count up to 8 (a stage's holders).
const setFactsOfManyQuery = (count: number) => (db: Kysely<Database>, p: Record<string, string>) => {
  const k = Array.from({ length: count }, (_, i) => i);
  return db
    .updateTable('teams_cards')
    .set({ facts: sql<string>`case ${sql.ref('id')} ${sql.join(k.map((i) => sql`when ${p[`id${i}`]} then ${p[`facts${i}`]}`), sql` `)} end` })
    .where(
      'id',
      'in',
      k.map((i) => p[`id${i}`]),
    );
};
const setFactsOfMany = preparedPerCount(8, setFactsOfManyQuery);
