import type { Client } from '@microsoft/microsoft-graph-client';
import { Badge, Button, Card, CardHeader, Field, Input, makeStyles, Radio, RadioGroup, Text, tokens } from '@fluentui/react-components';
import { FormEvent, useState } from 'react';
import { em } from '../app/graph';
import { useExtranet } from './ExtranetPage';
import { FormProblems, identitySources, OrganizationDraft, validateOrganization } from './forms';
import type { PickedPerson } from './policyWizard';
import { ConfirmButton, CreateFormFooter, NameAndDescriptionFields, problemText } from './widgets';
import { allPages, Empty, ErrorBar, Loaded, PeoplePicker, useAction, useLoad, useT } from './ui';

interface Sponsor {
  id: string;
  displayName?: string | null;
  mail?: string | null;
}

interface IdentitySource {
  '@odata.type': string;
  domainName?: string;
  tenantId?: string;
  displayName?: string | null;
}

export interface ConnectedOrganization {
  id: string;
  displayName: string;
  description?: string | null;
  state: string;
  identitySources: IdentitySource[];
  internalSponsors?: Sponsor[];
  externalSponsors?: Sponsor[];
}

const orgs = `${em}/connectedOrganizations`;

/** Graph's reference to a user, as `$ref` bodies take it. */
export function userRef(id: string): { '@odata.id': string } {
  return { '@odata.id': `https://graph.microsoft.com/v1.0/users/${id}` };
}

export function loadOrganizations(graph: Client): Promise<ConnectedOrganization[]> {
  return allPages(graph, graph.api(orgs).expand('internalSponsors,externalSponsors').orderby('displayName').get());
}

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: '12px', listStyleType: 'none', padding: 0, margin: 0 },
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '12px' },
  form: { display: 'flex', flexDirection: 'column', gap: '12px', maxWidth: '640px' },
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' },
  muted: { color: tokens.colorNeutralForeground3 },
  sponsors: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(260px, 1fr))', gap: '12px' },
});

/** Connected organizations (DESIGN §1 step 1): the partners whose users may request, and their sponsors. */
export function OrganizationsSection() {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const [load, reload] = useLoad(loadOrganizations, []);
  const [creating, setCreating] = useState(false);
  return (
    <div className={styles.form} style={{ maxWidth: 'none' }}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_organizations')}
      </Text>
      <Text className={styles.muted}>{t('organizationsIntro')}</Text>
      {caps.proposeOrganizations && !creating && (
        <div>
          <Button appearance="primary" onClick={() => setCreating(true)}>
            {t('connectOrganization')}
          </Button>
        </div>
      )}
      {creating && (
        <NewOrganization
          onDone={() => {
            setCreating(false);
            reload();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      <Loaded load={load} onRetry={reload}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('noOrganizations')}</Empty>
          ) : (
            <ul className={styles.list} aria-label={t('section_organizations')}>
              {list.map((org) => (
                <li key={org.id}>
                  <OrganizationCard org={org} onChanged={reload} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </div>
  );
}

function sourceText(source: IdentitySource, t: ReturnType<typeof useT>): string {
  if (source.domainName) return t('sourceDomainValue', { domain: source.domainName });
  return t('sourceTenantValue', { name: source.displayName ?? '' });
}

function OrganizationCard(props: { org: ConnectedOrganization; onChanged: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const { org } = props;
  const action = useAction();
  // Administrators change any organization; policy writers the proposed ones (the server keeps each to their own).
  const manages = caps.writeOrganizations || (caps.proposeOrganizations && org.state === 'proposed');
  const addSponsors = (kind: 'internalSponsors' | 'externalSponsors', people: PickedPerson[]) => {
    const existing = new Set((org[kind] ?? []).map((s) => s.id));
    const added = people.filter((p) => !existing.has(p.id));
    void action.run(async (graph) => {
      for (const p of added) await graph.api(`${orgs}/${org.id}/${kind}/$ref`).post(userRef(p.id));
    }, props.onChanged);
  };
  const removeSponsor = (kind: 'internalSponsors' | 'externalSponsors', id: string) =>
    void action.run((graph) => graph.api(`${orgs}/${org.id}/${kind}/${id}/$ref`).delete(), props.onChanged);
  const sponsorList = (kind: 'internalSponsors' | 'externalSponsors', label: string) => {
    const people = (org[kind] ?? []).map((s) => ({ id: s.id, displayName: s.displayName ?? s.mail ?? '' }));
    if (manages) {
      return (
        <PeoplePicker
          label={label}
          userType={kind === 'internalSponsors' ? 'Member' : 'Guest'}
          value={people}
          onChange={(next) => {
            const removed = people.find((p) => !next.some((n) => n.id === p.id));
            if (removed) removeSponsor(kind, removed.id);
            else addSponsors(kind, next);
          }}
        />
      );
    }
    return (
      <div>
        <Text weight="semibold" block>
          {label}
        </Text>
        <Text>{people.length ? people.map((p) => p.displayName).join(', ') : t('none')}</Text>
      </div>
    );
  };
  return (
    <Card className={styles.card}>
      <CardHeader
        header={
          <Text as="h3" weight="semibold" size={400}>
            {org.displayName}
          </Text>
        }
        description={<Text className={styles.muted}>{org.identitySources.map((s) => sourceText(s, t)).join(' · ')}</Text>}
        action={<Badge appearance="tint" color={org.state === 'configured' ? 'success' : 'warning'}>{t(org.state === 'configured' ? 'stateConfigured' : 'stateProposed')}</Badge>}
      />
      {org.description && <Text>{org.description}</Text>}
      {org.state === 'proposed' && <Text className={styles.muted}>{t('proposedCardNote')}</Text>}
      <div className={styles.sponsors}>
        {sponsorList('internalSponsors', t('internalSponsors'))}
        {sponsorList('externalSponsors', t('externalSponsors'))}
      </div>
      {action.error && <ErrorBar message={action.error} />}
      {manages && (
        <div className={styles.row}>
          {caps.writeOrganizations && org.state === 'proposed' && (
            <Button disabled={action.busy} onClick={() => void action.run((graph) => graph.api(`${orgs}/${org.id}`).patch({ state: 'configured' }), props.onChanged)}>
              {t('configureOrganization')}
            </Button>
          )}
          <ConfirmButton
            label={t('deleteOrganization')}
            title={t('deleteOrganizationTitle', { name: org.displayName })}
            body={t('deleteOrganizationBody')}
            confirm={t("delete")}
            cancel={t("cancel")}
            busy={action.busy}
            onConfirm={() => action.run((graph) => graph.api(`${orgs}/${org.id}`).delete(), props.onChanged)}
          />
        </div>
      )}
    </Card>
  );
}

function NewOrganization(props: { onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  // Administrators connect a partner for every policy; others propose it for the policies that name it.
  const state = caps.writeOrganizations ? 'configured' : 'proposed';
  const [draft, setDraft] = useState<OrganizationDraft>({ displayName: '', description: '', sourceKind: 'domain', source: '' });
  const [internal, setInternal] = useState<PickedPerson[]>([]);
  const [external, setExternal] = useState<PickedPerson[]>([]);
  const [problems, setProblems] = useState<FormProblems>({});
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateOrganization(draft);
    setProblems(found);
    if (Object.keys(found).length) return;
    void action.run(async (graph) => {
      const created: { id: string } = await graph.api(orgs).post({
        displayName: draft.displayName.trim(),
        description: draft.description.trim(),
        identitySources: identitySources(draft),
        state,
      });
      for (const p of internal) await graph.api(`${orgs}/${created.id}/internalSponsors/$ref`).post(userRef(p.id));
      for (const p of external) await graph.api(`${orgs}/${created.id}/externalSponsors/$ref`).post(userRef(p.id));
    }, props.onDone);
  };
  const set = (patch: Partial<OrganizationDraft>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <Card className={styles.card}>
      <form className={styles.form} onSubmit={submit} noValidate aria-label={t('connectOrganization')}>
        <Text as="h3" weight="semibold" size={400}>
          {t('connectOrganization')}
        </Text>
        {state === 'proposed' && <Text className={styles.muted}>{t('proposedNote')}</Text>}
        <NameAndDescriptionFields t={t} problems={problems} displayName={draft.displayName} description={draft.description} onChange={set} />
        <Field label={t('identitySource')} hint={t('identitySourceHint')}>
          <RadioGroup value={draft.sourceKind} onChange={(_, d) => set({ sourceKind: d.value as OrganizationDraft['sourceKind'] })} layout="horizontal">
            <Radio value="domain" label={t('sourceDomain')} />
            <Radio value="tenant" label={t('sourceTenant')} />
          </RadioGroup>
        </Field>
        <Field label={draft.sourceKind === 'domain' ? t('sourceDomain') : t('sourceTenant')} required validationMessage={problemText(t, problems.source)}>
          <Input value={draft.source} placeholder={draft.sourceKind === 'domain' ? 'fabrikam.com' : '00000000-0000-0000-0000-000000000000'} onChange={(_, d) => set({ source: d.value })} />
        </Field>
        <PeoplePicker label={t('internalSponsors')} userType="Member" value={internal} onChange={setInternal} />
        <PeoplePicker label={t('externalSponsors')} userType="Guest" value={external} onChange={setExternal} />
        <CreateFormFooter t={t} error={action.error} busy={action.busy} submit={t('connect')} onCancel={props.onCancel} />
      </form>
    </Card>
  );
}
