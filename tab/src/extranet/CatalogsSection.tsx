import type { Client } from '@microsoft/microsoft-graph-client';
import { Badge, Button, Card, CardHeader, makeStyles, Switch, Text, tokens } from '@fluentui/react-components';
import { FormEvent, useState } from 'react';
import { em } from '../app/graph';
import { useExtranet } from './ExtranetPage';
import { CatalogDraft, FormProblems, validateCatalog } from './forms';
import { ConfirmButton, CreateFormFooter, NameAndDescriptionFields } from './widgets';
import { allPages, Empty, ErrorBar, Loaded, useAction, useLoad, useT } from './ui';

export interface Catalog {
  id: string;
  displayName: string;
  description?: string | null;
  state: string;
  isExternallyVisible: boolean;
}

interface Resource {
  id: string;
  displayName: string;
  originId: string;
  originSystem: string;
}

interface TeamResources {
  group?: { id: string; displayName: string };
  site?: { webUrl: string; displayName: string };
}

const catalogs = `${em}/catalogs`;

export function loadCatalogs(graph: Client): Promise<Catalog[]> {
  return allPages(graph, graph.api(catalogs).select('id,displayName,description,state,isExternallyVisible').orderby('displayName').get());
}

/** The team's group and its SharePoint site, from the team the tab belongs to (either may be unknown to the caller). */
async function loadTeamResources(graph: Client, groupId: string | undefined): Promise<TeamResources> {
  if (!groupId) return {};
  const [group, site] = await Promise.all([
    graph.api(`/groups/${groupId}`).select('id,displayName').get().catch(() => undefined),
    graph.api(`/groups/${groupId}/sites/root`).select('id,displayName,webUrl').get().catch(() => undefined),
  ]);
  return { group, site };
}

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: '12px' },
  list: { display: 'flex', flexDirection: 'column', gap: '12px', listStyleType: 'none', padding: 0, margin: 0 },
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '12px' },
  form: { display: 'flex', flexDirection: 'column', gap: '12px', maxWidth: '640px' },
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' },
  muted: { color: tokens.colorNeutralForeground3 },
  badges: { display: 'flex', gap: '8px', flexWrap: 'wrap', whiteSpace: 'nowrap' },
  resources: { margin: 0, paddingLeft: '20px', display: 'flex', flexDirection: 'column', gap: '4px' },
});

/** Catalogs (DESIGN §1 steps 2–3): what they hold, whether partners may request from them, and this team's resources. */
export function CatalogsSection() {
  const t = useT();
  const styles = useStyles();
  const { caps, teamGroupId, refreshCapabilities } = useExtranet();
  const [load, reload] = useLoad((graph) => Promise.all([loadCatalogs(graph), loadTeamResources(graph, teamGroupId)]), [teamGroupId]);
  const [creating, setCreating] = useState(false);
  return (
    <div className={styles.column}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_catalogs')}
      </Text>
      <Text className={styles.muted}>{t('catalogsIntro')}</Text>
      {caps.createCatalogs && !creating && (
        <div>
          <Button appearance="primary" onClick={() => setCreating(true)}>
            {t('newCatalog')}
          </Button>
        </div>
      )}
      {creating && (
        <NewCatalog
          onCancel={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            // The creator now owns the catalog: their rights changed.
            refreshCapabilities();
            reload();
          }}
        />
      )}
      <Loaded load={load} onRetry={reload}>
        {([list, team]) =>
          list.length === 0 ? (
            <Empty>{t('noCatalogs')}</Empty>
          ) : (
            <ul className={styles.list} aria-label={t('section_catalogs')}>
              {list.map((catalog) => (
                <li key={catalog.id}>
                  <CatalogCard catalog={catalog} team={team} onChanged={reload} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </div>
  );
}

function CatalogCard(props: { catalog: Catalog; team: TeamResources; onChanged: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const { catalog, team } = props;
  const editable = caps.editCatalog(catalog.id);
  const [resources, reloadResources] = useLoad(
    (graph) => allPages<Resource>(graph, graph.api(`${catalogs}/${catalog.id}/resources`).select('id,displayName,originId,originSystem').get()),
    [catalog.id],
  );
  const action = useAction();
  const patch = (body: Partial<Catalog>) => void action.run((graph) => graph.api(`${catalogs}/${catalog.id}`).patch(body), props.onChanged);
  const resourceRequest = (requestType: 'adminAdd' | 'adminRemove', resource: Record<string, string>) =>
    void action.run((graph) => graph.api(`${em}/resourceRequests`).post({ requestType, resource, catalog: { id: catalog.id } }), reloadResources);
  return (
    <Card className={styles.card}>
      <CardHeader
        header={
          <Text as="h3" weight="semibold" size={400}>
            {catalog.displayName}
          </Text>
        }
        description={catalog.description ? <Text className={styles.muted}>{catalog.description}</Text> : undefined}
      />
      <div className={styles.badges}>
            <Badge appearance="tint" color={catalog.state === 'published' ? 'success' : 'subtle'}>
              {t(catalog.state === 'published' ? 'catalogEnabled' : 'catalogDisabled')}
            </Badge>
            {catalog.isExternallyVisible && (
              <Badge appearance="tint" color="brand">
                {t('catalogExternal')}
              </Badge>
            )}
      </div>
      {editable && (
        <div className={styles.row}>
          <Switch label={t('enabled')} checked={catalog.state === 'published'} disabled={action.busy} onChange={(_, d) => patch({ state: d.checked ? 'published' : 'unpublished' })} />
          <Switch label={t('enabledForExternal')} checked={catalog.isExternallyVisible} disabled={action.busy} onChange={(_, d) => patch({ isExternallyVisible: d.checked })} />
        </div>
      )}
      <Text as="h4" weight="semibold">
        {t('resources')}
      </Text>
      <Loaded load={resources} onRetry={reloadResources}>
        {(list) => (
          <>
            {list.length === 0 ? (
              <Empty>{t('noResources')}</Empty>
            ) : (
              <ul className={styles.resources} aria-label={t('resourcesOf', { name: catalog.displayName })}>
                {list.map((r) => (
                  <li key={r.id}>
                    <div className={styles.row}>
                      <Text>{`${r.displayName} · ${t(r.originSystem === 'SharePointOnline' ? 'kindSite' : 'kindGroup')}`}</Text>
                      {editable && (
                        <ConfirmButton
                          label={t('removeResource')}
                          title={t('removeResourceTitle', { name: r.displayName })}
                          body={t('removeResourceBody')}
                          confirm={t('remove')}
                          cancel={t('cancel')}
                          busy={action.busy}
                          onConfirm={() => resourceRequest('adminRemove', { id: r.id })}
                        />
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            {editable && (
              <TeamResourceButtons team={team} present={list} busy={action.busy} onAdd={(resource) => resourceRequest('adminAdd', resource)} />
            )}
          </>
        )}
      </Loaded>
      {action.error && <ErrorBar message={action.error} />}
    </Card>
  );
}

/** "Add this team" and "Add this team's site": the team's own resources, offered from the Teams context. */
function TeamResourceButtons(props: { team: TeamResources; present: Resource[]; busy: boolean; onAdd: (resource: Record<string, string>) => void }) {
  const t = useT();
  const styles = useStyles();
  const { group, site } = props.team;
  const has = (originId: string) => props.present.some((r) => r.originId.toLowerCase() === originId.toLowerCase());
  if (!group && !site) return null;
  return (
    <div className={styles.row}>
      {group && !has(group.id) && (
        <Button disabled={props.busy} onClick={() => props.onAdd({ originId: group.id, originSystem: 'AadGroup' })}>
          {t('addTeamGroup', { name: group.displayName })}
        </Button>
      )}
      {site && !has(site.webUrl) && (
        <Button disabled={props.busy} onClick={() => props.onAdd({ originId: site.webUrl, originSystem: 'SharePointOnline' })}>
          {t('addTeamSite', { name: site.displayName })}
        </Button>
      )}
    </div>
  );
}

function NewCatalog(props: { onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const styles = useStyles();
  const [draft, setDraft] = useState<CatalogDraft>({ displayName: '', description: '', enabled: true, externallyVisible: true });
  const [problems, setProblems] = useState<FormProblems>({});
  const action = useAction();
  const set = (patch: Partial<CatalogDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateCatalog(draft);
    setProblems(found);
    if (Object.keys(found).length) return;
    void action.run(
      (graph) =>
        graph.api(catalogs).post({
          displayName: draft.displayName.trim(),
          description: draft.description.trim(),
          state: draft.enabled ? 'published' : 'unpublished',
          isExternallyVisible: draft.externallyVisible,
        }),
      props.onDone,
    );
  };
  return (
    <Card className={styles.card}>
      <form className={styles.form} onSubmit={submit} noValidate aria-label={t('newCatalog')}>
        <Text as="h3" weight="semibold" size={400}>
          {t('newCatalog')}
        </Text>
        <NameAndDescriptionFields t={t} problems={problems} displayName={draft.displayName} description={draft.description} onChange={set} />
        <Switch label={t('enabled')} checked={draft.enabled} onChange={(_, d) => set({ enabled: d.checked })} />
        <Switch label={t('enabledForExternal')} checked={draft.externallyVisible} onChange={(_, d) => set({ externallyVisible: d.checked })} />
        <CreateFormFooter t={t} error={action.error} busy={action.busy} submit={t('create')} onCancel={props.onCancel} />
      </form>
    </Card>
  );
}
