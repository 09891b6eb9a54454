import type { Client } from '@microsoft/microsoft-graph-client';
import { Badge, Button, Card, Checkbox, Dropdown, Field, Input, Link, makeStyles, Option, Text, tokens } from '@fluentui/react-components';
import { FormEvent, useRef, useState } from 'react';
import { useApp } from '../app/context';
import { em } from '../app/graph';
import { Catalog, loadCatalogs } from './CatalogsSection';
import { useExtranet } from './ExtranetPage';
import { directLink, FormProblems, PackageDraft, validatePackage } from './forms';
import { Policy, PolicySummary } from './PolicySummary';
import { PolicyWizard } from './PolicyWizard';
import { ConfirmButton, CreateFormFooter, NameAndDescriptionFields, problemText } from './widgets';
import { allPages, Empty, ErrorBar, Loaded, odataString, useAction, useLoad, useT } from './ui';

interface RoleScope {
  id: string;
  role: { id: string; displayName: string; originId: string; originSystem: string };
  scope: { originId: string; originSystem: string; displayName?: string | null };
}

interface AccessPackage {
  id: string;
  displayName: string;
  description?: string | null;
  isHidden: boolean;
  catalog?: { id: string; displayName: string };
  resourceRoleScopes?: RoleScope[];
  assignmentPolicies?: Policy[];
}

interface CatalogRole {
  id: string;
  displayName: string;
  originId: string;
  originSystem: string;
  resource: { id: string; displayName: string; originId: string; originSystem: string };
}

const packages = `${em}/accessPackages`;
const pageSize = 20;

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: '12px' },
  list: { display: 'flex', flexDirection: 'column', gap: '8px', listStyleType: 'none', padding: 0, margin: 0 },
  item: { padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '4px' },
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '12px' },
  form: { display: 'flex', flexDirection: 'column', gap: '12px', maxWidth: '640px' },
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' },
  muted: { color: tokens.colorNeutralForeground3 },
  link: { minWidth: '320px', flexGrow: 1 },
  bullets: { margin: 0, paddingLeft: '20px', display: 'flex', flexDirection: 'column', gap: '4px' },
});

interface PackagePage {
  items: AccessPackage[];
  next?: string;
}

/** Access packages (DESIGN §1 steps 4–7): what they grant, their policies, hide and the direct link. */
export function PackagesSection() {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const [selected, setSelected] = useState<string>();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [more, setMore] = useState<AccessPackage[]>([]);
  const [next, setNext] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [load, reload] = useLoad(
    async (graph): Promise<[PackagePage, Catalog[]]> => {
      let request = graph.api(packages).expand('catalog($select=id,displayName)').orderby('displayName').top(pageSize);
      if (query) request = request.filter(`contains(displayName,${odataString(query)})`);
      const [page, catalogList] = await Promise.all([request.get() as Promise<{ value: AccessPackage[]; '@odata.nextLink'?: string }>, loadCatalogs(graph)]);
      setMore([]);
      setNext(page['@odata.nextLink']);
      return [{ items: page.value }, catalogList];
    },
    [query],
  );
  const { graph } = useApp();
  const loadMore = useAction();
  if (selected) {
    return (
      <PackageDetail
        id={selected}
        onBack={() => {
          setSelected(undefined);
          reload();
        }}
      />
    );
  }
  return (
    <div className={styles.column}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_packages')}
      </Text>
      <Text className={styles.muted}>{t('packagesIntro')}</Text>
      <Loaded load={load} onRetry={reload}>
        {([page, catalogList]) => {
          const writable = catalogList.filter((c) => caps.writePackages(c.id));
          const items = [...page.items, ...more];
          return (
            <>
              <div className={styles.row}>
                {writable.length > 0 && !creating && (
                  <Button appearance="primary" onClick={() => setCreating(true)}>
                    {t('newPackage')}
                  </Button>
                )}
                <form
                  role="search"
                  className={styles.row}
                  onSubmit={(e) => {
                    e.preventDefault();
                    setQuery(search.trim());
                  }}
                >
                  <Field label={t('searchPackages')}>
                    <Input value={search} onChange={(_, d) => setSearch(d.value)} />
                  </Field>
                  <Button type="submit" style={{ alignSelf: 'flex-end' }}>
                    {t('search')}
                  </Button>
                </form>
              </div>
              {creating && (
                <NewPackage
                  catalogs={writable}
                  onCancel={() => setCreating(false)}
                  onDone={(id) => {
                    setCreating(false);
                    setSelected(id);
                  }}
                />
              )}
              {items.length === 0 ? (
                <Empty>{query ? t('noPackagesMatch') : t('noPackages')}</Empty>
              ) : (
                <ul className={styles.list} aria-label={t('section_packages')}>
                  {items.map((p) => (
                    <li key={p.id}>
                      <Card className={styles.item}>
                        <div className={styles.row}>
                          <Link as="button" onClick={() => setSelected(p.id)}>
                            <Text weight="semibold">{p.displayName}</Text>
                          </Link>
                          {p.isHidden && (
                            <Badge appearance="tint" color="informative">
                              {t('hidden')}
                            </Badge>
                          )}
                        </div>
                        <Text className={styles.muted}>{[p.catalog?.displayName, p.description].filter(Boolean).join(' · ')}</Text>
                      </Card>
                    </li>
                  ))}
                </ul>
              )}
              {next && (
                <Button
                  disabled={loadMore.busy}
                  onClick={() =>
                    void loadMore.run(async () => {
                      const page: { value: AccessPackage[]; '@odata.nextLink'?: string } = await graph.api(next).get();
                      setMore((m) => [...m, ...page.value]);
                      setNext(page['@odata.nextLink']);
                    })
                  }
                >
                  {t('loadMore')}
                </Button>
              )}
              {loadMore.error && <ErrorBar message={loadMore.error} />}
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

function NewPackage(props: { catalogs: Catalog[]; onDone: (id: string) => void; onCancel: () => void }) {
  const t = useT();
  const styles = useStyles();
  const [draft, setDraft] = useState<PackageDraft>({ displayName: '', description: '', catalogId: props.catalogs.length === 1 ? props.catalogs[0].id : '', hidden: false });
  const [problems, setProblems] = useState<FormProblems>({});
  const action = useAction();
  const set = (patch: Partial<PackageDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validatePackage(draft);
    setProblems(found);
    if (Object.keys(found).length) return;
    let createdId = '';
    void action.run(
      async (graph) => {
        const created: { id: string } = await graph.api(packages).post({
          displayName: draft.displayName.trim(),
          description: draft.description.trim(),
          isHidden: draft.hidden,
          catalog: { id: draft.catalogId },
        });
        createdId = created.id;
      },
      () => props.onDone(createdId),
    );
  };
  const catalogName = props.catalogs.find((c) => c.id === draft.catalogId)?.displayName ?? '';
  return (
    <Card className={styles.card}>
      <form className={styles.form} onSubmit={submit} noValidate aria-label={t('newPackage')}>
        <Text as="h3" weight="semibold" size={400}>
          {t('newPackage')}
        </Text>
        <NameAndDescriptionFields t={t} problems={problems} displayName={draft.displayName} description={draft.description} onChange={set} />
        <Field label={t('catalog')} required validationMessage={problemText(t, problems.catalogId)}>
          <Dropdown value={catalogName} selectedOptions={draft.catalogId ? [draft.catalogId] : []} onOptionSelect={(_, d) => set({ catalogId: d.optionValue ?? '' })} placeholder={t('pickCatalog')}>
            {props.catalogs.map((c) => (
              <Option key={c.id} value={c.id}>
                {c.displayName}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Checkbox label={t('hideFromList')} checked={draft.hidden} onChange={(_, d) => set({ hidden: d.checked === true })} />
        <CreateFormFooter t={t} error={action.error} busy={action.busy} submit={t('create')} onCancel={props.onCancel} />
      </form>
    </Card>
  );
}

async function loadPackage(graph: Client, id: string): Promise<{ pkg: AccessPackage; roles: CatalogRole[] }> {
  const pkg: AccessPackage = await graph.api(`${packages}/${id}`).expand('catalog($select=id,displayName),resourceRoleScopes($expand=role,scope),assignmentPolicies').get();
  const roles = pkg.catalog ? await allPages<CatalogRole>(graph, graph.api(`${em}/catalogs/${pkg.catalog.id}/resourceRoles`).expand('resource').get()) : [];
  return { pkg, roles };
}

function PackageDetail(props: { id: string; onBack: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const [load, reload] = useLoad((graph) => loadPackage(graph, props.id), [props.id]);
  const [wizard, setWizard] = useState(false);
  const action = useAction();
  return (
    <div className={styles.column}>
      <div>
        <Button appearance="subtle" onClick={props.onBack}>
          {t('backToPackages')}
        </Button>
      </div>
      <Loaded load={load} onRetry={reload}>
        {({ pkg, roles }) => {
          const writable = !!pkg.catalog && caps.writePackages(pkg.catalog.id);
          const granted = new Set((pkg.resourceRoleScopes ?? []).map((rs) => rs.role.originId + '|' + rs.scope.originId));
          const offered = roles.filter((r) => !granted.has(r.originId + '|' + r.resource.originId));
          return (
            <>
              <div className={styles.row}>
                <Text as="h2" size={500} weight="semibold">
                  {pkg.displayName}
                </Text>
                {pkg.isHidden && (
                  <Badge appearance="tint" color="informative">
                    {t('hidden')}
                  </Badge>
                )}
              </div>
              <Text className={styles.muted}>{[pkg.catalog?.displayName, pkg.description].filter(Boolean).join(' · ')}</Text>
              {writable && (
                <div className={styles.row}>
                  <Button disabled={action.busy} onClick={() => void action.run((graph) => graph.api(`${packages}/${pkg.id}`).patch({ isHidden: !pkg.isHidden }), reload)}>
                    {pkg.isHidden ? t('unhide') : t('hide')}
                  </Button>
                  <ConfirmButton
                    label={t('deletePackage')}
                    title={t('deletePackageTitle', { name: pkg.displayName })}
                    body={t('deletePackageBody')}
                    confirm={t('delete')}
                    cancel={t('cancel')}
                    busy={action.busy}
                    onConfirm={() => action.run((graph) => graph.api(`${packages}/${pkg.id}`).delete(), props.onBack)}
                  />
                </div>
              )}
              <CopyLink id={pkg.id} />
              {action.error && <ErrorBar message={action.error} />}
              <Card className={styles.card}>
                <Text as="h3" weight="semibold" size={400}>
                  {t('resourceRoles')}
                </Text>
                {(pkg.resourceRoleScopes ?? []).length === 0 ? (
                  <Empty>{t('noResourceRoles')}</Empty>
                ) : (
                  <ul className={styles.bullets} aria-label={t('resourceRoles')}>
                    {(pkg.resourceRoleScopes ?? []).map((rs) => {
                      const found = roles.find((r) => r.originId === rs.role.originId && r.originSystem === rs.role.originSystem && r.resource.originId === rs.scope.originId);
                      const kind = t(rs.role.originSystem === 'SharePointOnline' ? 'kindSite' : 'kindGroup');
                      const resource = `${found?.resource.displayName ?? rs.scope.displayName ?? ''} (${kind})`;
                      return (
                        <li key={rs.id}>
                          <div className={styles.row}>
                            <Text>{t('roleOn', { role: rs.role.displayName, resource })}</Text>
                            {writable && (
                              <Button size="small" disabled={action.busy} onClick={() => void action.run((graph) => graph.api(`${packages}/${pkg.id}/resourceRoleScopes/${rs.id}`).delete(), reload)}>
                                {t('remove')}
                              </Button>
                            )}
                          </div>
                        </li>
                      );
                    })}
                  </ul>
                )}
                {writable && <AddRole roles={offered} packageId={pkg.id} onAdded={reload} />}
              </Card>
              <Card className={styles.card}>
                <Text as="h3" weight="semibold" size={400}>
                  {t('policies')}
                </Text>
                {(pkg.assignmentPolicies ?? []).length === 0 ? (
                  <Empty>{t('noPolicies')}</Empty>
                ) : (
                  <ul className={styles.list} aria-label={t('policies')}>
                    {(pkg.assignmentPolicies ?? []).map((policy) => (
                      <li key={policy.id}>
                        <PolicySummary policy={policy} />
                        {writable && (
                          <ConfirmButton
                            label={t('deletePolicy')}
                            title={t('deletePolicyTitle', { name: policy.displayName })}
                            body={t('deletePolicyBody')}
                            confirm={t('delete')}
                            cancel={t('cancel')}
                            busy={action.busy}
                            onConfirm={() => action.run((graph) => graph.api(`${em}/assignmentPolicies/${policy.id}`).delete(), reload)}
                          />
                        )}
                      </li>
                    ))}
                  </ul>
                )}
                {writable && !wizard && (
                  <div>
                    <Button appearance="primary" onClick={() => setWizard(true)}>
                      {t('newPolicy')}
                    </Button>
                  </div>
                )}
              </Card>
              {wizard && (
                <PolicyWizard
                  accessPackageId={pkg.id}
                  onCancel={() => setWizard(false)}
                  onDone={() => {
                    setWizard(false);
                    reload();
                  }}
                />
              )}
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

function AddRole(props: { roles: CatalogRole[]; packageId: string; onAdded: () => void }) {
  const t = useT();
  const styles = useStyles();
  const [roleId, setRoleId] = useState('');
  const [problem, setProblem] = useState<string>();
  const action = useAction();
  const label = (r: CatalogRole) => t('roleOn', { role: r.displayName, resource: `${r.resource.displayName} (${t(r.resource.originSystem === 'SharePointOnline' ? 'kindSite' : 'kindGroup')})` });
  const chosen = props.roles.find((r) => r.id === roleId);
  if (props.roles.length === 0) return <Text className={styles.muted}>{t('noMoreRoles')}</Text>;
  return (
    <form
      className={styles.row}
      onSubmit={(e) => {
        e.preventDefault();
        if (!chosen) {
          setProblem(t('problem_pickRole'));
          return;
        }
        setProblem(undefined);
        void action.run(
          (graph) =>
            graph.api(`${packages}/${props.packageId}/resourceRoleScopes`).post({
              role: { originId: chosen.originId, originSystem: chosen.originSystem, resource: { id: chosen.resource.id } },
              scope: { originId: chosen.resource.originId, originSystem: chosen.resource.originSystem },
            }),
          () => {
            setRoleId('');
            props.onAdded();
          },
        );
      }}
    >
      <Field label={t('addRole')} validationMessage={problem}>
        <Dropdown value={chosen ? label(chosen) : ''} selectedOptions={roleId ? [roleId] : []} placeholder={t('pickRole')} onOptionSelect={(_, d) => setRoleId(d.optionValue ?? '')}>
          {props.roles.map((r) => (
            <Option key={r.id} value={r.id} text={label(r)}>
              {label(r)}
            </Option>
          ))}
        </Dropdown>
      </Field>
      <Button type="submit" disabled={action.busy} style={{ alignSelf: 'flex-end' }}>
        {t('add')}
      </Button>
      {action.error && <ErrorBar message={action.error} />}
    </form>
  );
}

/** The direct link partners open (hidden packages included), shown and copied to the clipboard. */
function CopyLink(props: { id: string }) {
  const t = useT();
  const styles = useStyles();
  const { config } = useApp();
  const publicUrl = config.publicUrl || location.origin;
  const link = directLink(publicUrl, props.id);
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<'copied' | 'failed'>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setStatus('copied');
    } catch {
      // Teams may deny the clipboard API to the frame: select the text so Ctrl+C works.
      input.current?.select();
      setStatus(document.execCommand?.('copy') ? 'copied' : 'failed');
    }
  };
  return (
    <div className={styles.row}>
      <Field label={t('directLink')} className={styles.link}>
        <Input ref={input} readOnly value={link} onFocus={(e) => e.target.select()} />
      </Field>
      <Button style={{ alignSelf: 'flex-end' }} onClick={() => void copy()}>
        {t('copyLink')}
      </Button>
      <Text role="status" aria-live="polite" style={{ alignSelf: 'flex-end' }}>
        {status === 'copied' ? t('linkCopied') : status === 'failed' ? t('linkCopyFailed') : ''}
      </Text>
    </div>
  );
}
