import type { Kysely } from 'kysely';
import { newId } from '../context';
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
    await this.db
      .insertInto('teams_cards')
      .values({ ...card, facts: JSON.stringify(card.facts), id: newId(), createdDateTime: now.toISOString() })
      .execute();
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
  async findByPrefix(kind: string, prefix: string, userId: string): Promise<Array<TeamsCardsTable & { factsObject: Record<string, unknown> }>> {
    const rows = await this.db.selectFrom('teams_cards').selectAll().where('kind', '=', kind).where('subjectId', 'like', `${prefix}%`).where('userId', '=', userId).execute();
    return rows.map((row) => ({ ...row, factsObject: JSON.parse(row.facts) as Record<string, unknown> }));
  }

  /** Records that these cards show their stage's decision (kept in their facts; see `ApprovalCardUpdates`). */
  async markDecisionShown(cardIds: readonly string[]): Promise<void> {
    const rows = await this.db.selectFrom('teams_cards').select(['id', 'facts']).where('id', 'in', [...cardIds]).execute();
    for (const row of rows) {
      const facts = JSON.parse(row.facts) as Record<string, unknown>;
      if (facts.decisionShown === true) continue;
      await this.db
        .updateTable('teams_cards')
        .set({ facts: JSON.stringify({ ...facts, decisionShown: true }) })
        .where('id', '=', row.id)
        .execute();
    }
  }

  /** Who holds a card of this kind and subject (the approvers whose cards show a stage). */
  async holders(kind: string, subjectId: string): Promise<string[]> {
    return (await this.db.selectFrom('teams_cards').select('userId').distinct().where('kind', '=', kind).where('subjectId', '=', subjectId).execute()).map((r) => r.userId);
  }
}
