import { Card, makeStyles, MessageBar, MessageBarBody, Text, Title2, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { useApp } from '../app/context';
import { loadTeamsJs } from '../app/teams';
import { extranetTabConfig } from './forms';
import { ErrorBar, useT } from './ui';

const useStyles = makeStyles({
  main: { padding: '16px 24px', display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '720px' },
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '8px' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/**
 * The configuration page Teams shows when the Extranet tab is added to a team (`pages.config`).
 * Saving registers the tab for that team: its content URL carries the team's group id, so the tab
 * opens on that team's extranet wherever it is loaded (Teams keeps the tab's configuration).
 */
export function ExtranetConfigPage() {
  const t = useT();
  const styles = useStyles();
  const { host } = useApp();
  const [error, setError] = useState<string>();
  const team = host.kind === 'teams' ? host.context.team : undefined;
  const groupId = team?.groupId;
  const tabName = t('tabName');
  useEffect(() => {
    if (host.kind !== 'teams' || !groupId) return;
    let active = true;
    void loadTeamsJs().then((teams) => {
      if (!active) return;
      const config = extranetTabConfig(location.origin, groupId, tabName);
      teams.pages.config.registerOnSaveHandler((saveEvent) => {
        teams.pages.config.setConfig(config).then(
          () => saveEvent.notifySuccess(),
          (e: unknown) => {
            const message = e instanceof Error ? e.message : t('saveFailed');
            setError(message);
            saveEvent.notifyFailure(message);
          },
        );
      });
      teams.pages.config.setValidityState(true);
    });
    return () => {
      active = false;
    };
  }, [host.kind, groupId, tabName, t]);
  return (
    <main className={styles.main} aria-labelledby="extranet-config-title">
      <Title2 as="h1" id="extranet-config-title">
        {t('configTitle')}
      </Title2>
      {host.kind !== 'teams' ? (
        <MessageBar intent="info">
          <MessageBarBody>{t('configOutsideTeams')}</MessageBarBody>
        </MessageBar>
      ) : !groupId ? (
        <MessageBar intent="warning">
          <MessageBarBody>{t('configNoTeam')}</MessageBarBody>
        </MessageBar>
      ) : (
        <Card className={styles.card}>
          <Text weight="semibold">{t('configForTeam', { name: team?.displayName ?? '' })}</Text>
          <Text>{t('configBody')}</Text>
          <Text className={styles.muted}>{t('configSave')}</Text>
        </Card>
      )}
      {error && <ErrorBar message={error} />}
    </main>
  );
}
