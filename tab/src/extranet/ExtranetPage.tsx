import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { Button, makeStyles, MessageBar, MessageBarBody, MessageBarTitle, Tab, TabList, Text, Title2, tokens } from '@fluentui/react-components';
import { createContext, useContext, useMemo } from 'react';
import { useApp } from '../app/context';
import { AssignmentsSection } from './AssignmentsSection';
import { AuditSection } from './AuditSection';
import { Capabilities, capabilitiesOf, RoleAssignment } from './capabilities';
import { CatalogsSection } from './CatalogsSection';
import { groupIdFromHash } from './forms';
import { OrganizationsSection } from './OrganizationsSection';
import { PackagesSection } from './PackagesSection';
import { RequestsSection } from './RequestsSection';
import { SettingsSection } from './SettingsSection';
import { allPages, Loaded, useLoad, useT } from './ui';

export type Section = 'packages' | 'catalogs' | 'organizations' | 'assignments' | 'requests' | 'audit' | 'settings';
const sections: readonly Section[] = ['packages', 'catalogs', 'organizations', 'assignments', 'requests', 'audit', 'settings'];

export interface Me {
  id: string;
  displayName: string;
  userType: string;
}

export interface ExtranetContextValue {
  me: Me | undefined;
  caps: Capabilities;
  /** The team the tab belongs to (Teams context, or the `groupId` of the tab's content URL). */
  teamGroupId: string | undefined;
  /** Re-reads the person's roles: creating a catalog makes its creator its owner. */
  refreshCapabilities: () => void;
}

const ExtranetContext = createContext<ExtranetContextValue | null>(null);

export function useExtranet(): ExtranetContextValue {
  const value = useContext(ExtranetContext);
  if (!value) throw new Error('useExtranet() outside the Extranet tab');
  return value;
}

/** Who is signed in and what they may manage; guests and unknown partners manage nothing. */
export async function loadCapabilities(graph: Client): Promise<{ me: Me | undefined; caps: Capabilities }> {
  let me: Me;
  try {
    me = await graph.api('/me').select('id,displayName,userType').get();
  } catch (error) {
    if (error instanceof GraphError && (error.statusCode === 404 || error.statusCode === 403)) {
      return { me: undefined, caps: capabilitiesOf({ isMember: false, isAdministrator: false, assignments: [] }) };
    }
    throw error;
  }
  if (me.userType !== 'Member') return { me, caps: capabilitiesOf({ isMember: false, isAdministrator: false, assignments: [] }) };
  const [assignments, isAdministrator] = await Promise.all([
    allPages<RoleAssignment>(graph, graph.api('/roleManagement/entitlementManagement/roleAssignments').filter(`principalId eq '${me.id}'`).select('roleDefinitionId,appScopeId').get()),
    graph
      .api('/auditLogs/directoryAudits')
      .top(1)
      .get()
      .then(
        () => true,
        (error: unknown) => {
          if (error instanceof GraphError && error.statusCode === 403) return false;
          throw error;
        },
      ),
  ]);
  return { me, caps: capabilitiesOf({ isMember: true, isAdministrator, assignments }) };
}

const useStyles = makeStyles({
  main: { padding: '16px 24px 48px', display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '1200px' },
  header: { display: 'flex', justifyContent: 'space-between', alignItems: 'flex-start', flexWrap: 'wrap', gap: '8px' },
  heading: { display: 'flex', flexDirection: 'column', gap: '4px' },
  user: { display: 'flex', alignItems: 'center', gap: '8px', color: tokens.colorNeutralForeground2 },
  subtitle: { color: tokens.colorNeutralForeground3 },
  tabs: { flexWrap: 'wrap' },
});

function sectionOf(path: string): Section {
  const first = path.split('/')[0] as Section;
  return sections.includes(first) ? first : 'packages';
}

/** The team tab "Extranet" (DESIGN §9): the team owners' and catalog staff's side of entitlement management. */
export function ExtranetPage(props: { path: string }) {
  const t = useT();
  const styles = useStyles();
  const { host, session } = useApp();
  const [load, reload] = useLoad(loadCapabilities, []);
  const teamGroupId = (host.kind === 'teams' ? host.context.team?.groupId : undefined) ?? groupIdFromHash(location.hash);
  const section = sectionOf(props.path);
  const go = (next: Section) => {
    const query = location.hash.split('?')[1];
    location.hash = `#/extranet/${next}${query ? `?${query}` : ''}`;
  };
  return (
    <main className={styles.main} aria-labelledby="extranet-title">
      <header className={styles.header}>
        <div className={styles.heading}>
          <Title2 as="h1" id="extranet-title">
            {t('title')}
          </Title2>
          <Text className={styles.subtitle}>{t('subtitle')}</Text>
        </div>
        <div className={styles.user}>
          <Text size={200}>{t('signedInAs', { name: session.user.displayName })}</Text>
          {/* Inside Teams, Teams owns the sign-in: there is nothing to sign out of here. */}
          {session.signOut && (
            <Button size="small" appearance="subtle" onClick={session.signOut}>
              {t('signOut')}
            </Button>
          )}
        </div>
      </header>
      <Loaded load={load} onRetry={reload}>
        {({ me, caps }) => (
          <Sections caps={caps} me={me} teamGroupId={teamGroupId} section={section} go={go} refresh={reload} />
        )}
      </Loaded>
    </main>
  );
}

function Sections(props: { caps: Capabilities; me: Me | undefined; teamGroupId: string | undefined; section: Section; go: (s: Section) => void; refresh: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = props;
  const value = useMemo<ExtranetContextValue>(() => ({ me: props.me, caps, teamGroupId: props.teamGroupId, refreshCapabilities: props.refresh }), [props.me, caps, props.teamGroupId, props.refresh]);
  if (!caps.managesAnything) {
    return (
      <MessageBar intent="info">
        <MessageBarBody>
          <MessageBarTitle>{t('noRoleTitle')}</MessageBarTitle>
          {t('noRoleBody')}
        </MessageBarBody>
      </MessageBar>
    );
  }
  const visible = sections.filter((s) => (s === 'audit' ? caps.readAudit : s === 'organizations' ? caps.readOrganizations : true));
  const current = visible.includes(props.section) ? props.section : 'packages';
  return (
    <ExtranetContext.Provider value={value}>
      <nav aria-label={t('sectionsLabel')}>
        <TabList className={styles.tabs} selectedValue={current} onTabSelect={(_, data) => props.go(data.value as Section)}>
          {visible.map((s) => (
            <Tab key={s} value={s}>
              {t(`section_${s}`)}
            </Tab>
          ))}
        </TabList>
      </nav>
      <section aria-label={t(`section_${current}`)}>
        {current === 'packages' && <PackagesSection />}
        {current === 'catalogs' && <CatalogsSection />}
        {current === 'organizations' && <OrganizationsSection />}
        {current === 'assignments' && <AssignmentsSection />}
        {current === 'requests' && <RequestsSection />}
        {current === 'audit' && <AuditSection />}
        {current === 'settings' && <SettingsSection />}
      </section>
    </ExtranetContext.Provider>
  );
}
