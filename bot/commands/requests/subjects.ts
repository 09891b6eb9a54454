import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import { newId, type Tx } from '../../context';
import { insertRows, prepared } from '../../store/prepared';
import type { ConnectedOrganizationsTable, Database, SubjectsTable, UsersTable } from '../../store/schema';
import { matchConnectedOrganization } from '../connectedOrganizations/matchConnectedOrganization';
import { isUniqueViolation } from '../directory/loadDirectory';

/**
 * `accessPackageSubject`s: the people requests and assignments are for. A directory user has one by
 * object id; a partner user who is not a guest yet has one by home tenant and object id (or by email,
 * when an administrator assigned an address); delivery later fills in the guest's object id.
 */
type Db = Kysely<Database> | Tx;

const subjectByObject = prepared((db, p: { objectId: string }) => db.selectFrom('subjects').selectAll().where('objectId', '=', p.objectId));
const subjectByHome = prepared((db, p: { tenantId: string; objectId: string }) => db.selectFrom('subjects').selectAll().where('homeTenantId', '=', p.tenantId).where('homeObjectId', '=', p.objectId));

/** The caller's subject, if they have one yet. */
export async function subjectOfPrincipal(db: Db, p: Principal): Promise<SubjectsTable | undefined> {
  if (p.userId) {
    const byObject = await subjectByObject.first(db, { objectId: p.userId });
    if (byObject) return byObject;
  }
  if (p.userType === 'External' || p.userType === 'Guest') {
    if (!p.tenantId || !p.homeObjectId) return undefined;
    return subjectByHome.first(db, { tenantId: p.tenantId, objectId: p.homeObjectId });
  }
  return undefined;
}

/** Who is asking, as the request rules see them: a member, a guest, or a partner user outside the directory. */
export interface Requester {
  kind: 'member' | 'guest' | 'external';
  userId: string | null;
  email: string | null;
  tenantId: string | null;
  displayName: string | null;
  principalName: string | null;
  homeObjectId: string | null;
  /** The connected organization they belong to (guests and partners), if any. */
  organization: ConnectedOrganizationsTable | null;
}

export async function requesterOfPrincipal(db: Db, p: Principal): Promise<Requester> {
  const kind = p.userType === 'Member' ? 'member' : p.userType === 'Guest' ? 'guest' : 'external';
  const organization = kind === 'member' ? null : await matchConnectedOrganization(db, { tenantId: p.tenantId, email: p.mail ?? p.userPrincipalName });
  return { kind, userId: p.userId, email: p.mail, tenantId: kind === 'member' ? null : p.tenantId, displayName: p.displayName, principalName: p.userPrincipalName, homeObjectId: p.homeObjectId, organization };
}

/** The requester a directory user is (for requests an administrator makes for them). */
export async function requesterOfUser(db: Db, user: UsersTable): Promise<Requester> {
  const guest = user.userType === 'Guest';
  const organization = guest ? await matchConnectedOrganization(db, { tenantId: user.homeTenantId, email: user.mail }) : null;
  return {
    kind: guest ? 'guest' : 'member',
    userId: user.id,
    email: user.mail,
    tenantId: user.homeTenantId,
    displayName: user.displayName,
    principalName: user.userPrincipalName,
    homeObjectId: user.homeObjectId,
    organization,
  };
}

/** A person known only by email (an administrator's `adminAdd` for someone not in the directory). */
export async function requesterOfEmail(db: Db, email: string, displayName: string | null): Promise<Requester> {
  const organization = await matchConnectedOrganization(db, { email });
  return { kind: 'external', userId: null, email, tenantId: null, displayName: displayName ?? email, principalName: email, homeObjectId: null, organization };
}

/**
 * Finds or creates the subject for `requester`, inside the caller's transaction. Concurrent first
 * requests of one person meet in the unique indexes; the loser reads the winner's row.
 */
export async function ensureSubject(tx: Tx, requester: Requester, now: Date): Promise<SubjectsTable> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await findSubject(tx, requester);
    if (existing) {
      const organizationId = existing.connectedOrganizationId ?? requester.organization?.id ?? null;
      const objectId = existing.objectId ?? requester.userId;
      if (organizationId !== existing.connectedOrganizationId || objectId !== existing.objectId) {
        await tx.updateTable('subjects').set({ connectedOrganizationId: organizationId, objectId }).where('id', '=', existing.id).execute();
        return { ...existing, connectedOrganizationId: organizationId, objectId };
      }
      return existing;
    }
    const row: SubjectsTable = {
      id: newId(),
      objectId: requester.userId,
      displayName: requester.displayName,
      email: requester.email,
      emailLower: requester.email?.toLowerCase() ?? null,
      principalName: requester.principalName,
      subjectType: 'user',
      // Partners outside the directory become guests through entitlement management: governed.
      subjectLifecycle: requester.kind === 'external' ? 'governed' : requester.kind === 'guest' ? 'notGoverned' : 'notDefined',
      connectedOrganizationId: requester.organization?.id ?? null,
      homeTenantId: requester.kind === 'member' ? null : requester.tenantId,
      homeObjectId: requester.kind === 'member' ? null : requester.homeObjectId,
      createdDateTime: now.toISOString(),
    };
    try {
      await insertRows(tx, 'subjects', [row]);
      return row;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt > 0) throw error;
    }
  }
  throw new Error('unreachable');
}

async function findSubject(tx: Tx, r: Requester): Promise<SubjectsTable | undefined> {
  if (r.userId) {
    const byObject = await subjectByObject.first(tx, { objectId: r.userId });
    if (byObject) return byObject;
  }
  if (r.tenantId && r.homeObjectId) {
    const byHome = await subjectByHome.first(tx, { tenantId: r.tenantId, objectId: r.homeObjectId });
    if (byHome) return byHome;
  }
  if (r.email && r.kind === 'external' && !r.tenantId) {
    // An address an administrator assigned before the person ever signed in. A partner signing in is
    // never bound to such a subject by the address they claim: delivery invites the address, and the
    // guest is bound at first sign-in only from the tenant owning its domain (bot/auth/principal.ts).
    return tx.selectFrom('subjects').selectAll().where('emailLower', '=', r.email.toLowerCase()).where('objectId', 'is', null).where('homeTenantId', 'is', null).executeTakeFirst();
  }
  return undefined;
}
