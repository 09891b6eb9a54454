import { Button, Link, makeStyles, Tab, TabList, Text, Title2, tokens } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { useApp, useStrings } from '../app/context';
import { MyAccessSection, routeHash } from '../app/route';
import { myAccessStrings } from './strings';

export const useFrameStyles = makeStyles({
  page: { maxWidth: '960px', margin: '0 auto', padding: '16px 20px 48px', display: 'flex', flexDirection: 'column', gap: '16px' },
  header: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', flexWrap: 'wrap', gap: '8px' },
  user: { display: 'flex', alignItems: 'center', gap: '8px', color: tokens.colorNeutralForeground2 },
  main: { display: 'flex', flexDirection: 'column', gap: '16px' },
});

/** The signed-in person and, outside Teams, a way to sign out (Teams owns sign-in inside Teams). */
function SignedIn() {
  const { session } = useApp();
  const t = useStrings(myAccessStrings);
  const styles = useFrameStyles();
  return (
    <div className={styles.user}>
      <Text size={200}>{t('signedInAs', { name: session.user.displayName })}</Text>
      {session.signOut && (
        <Button size="small" appearance="subtle" onClick={session.signOut}>
          {t('signOut')}
        </Button>
      )}
    </div>
  );
}

const sections: { value: MyAccessSection; label: 'navCatalog' | 'navRequests' | 'navAccess' | 'navApprovals' | 'navReviews' }[] = [
  { value: 'catalog', label: 'navCatalog' },
  { value: 'requests', label: 'navRequests' },
  { value: 'access', label: 'navAccess' },
  { value: 'approvals', label: 'navApprovals' },
  { value: 'reviews', label: 'navReviews' },
];

/** "My access": title, the person, the sections as tabs, then the section's content. */
export function MyAccessFrame(props: { section: MyAccessSection; children: ReactNode }) {
  const t = useStrings(myAccessStrings);
  const styles = useFrameStyles();
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Title2 as="h1">{t('title')}</Title2>
        <SignedIn />
      </header>
      <nav aria-label={t('sections')}>
        <TabList selectedValue={props.section} onTabSelect={(_, data) => (location.hash = routeHash({ page: 'my-access', section: data.value as MyAccessSection }))}>
          {sections.map((s) => (
            <Tab key={s.value} value={s.value}>
              {t(s.label)}
            </Tab>
          ))}
        </TabList>
      </nav>
      <main className={styles.main}>{props.children}</main>
    </div>
  );
}

/** The direct-link page's frame: no section tabs, a way back to the catalog. */
export function PackageFrame(props: { children: ReactNode }) {
  const t = useStrings(myAccessStrings);
  const styles = useFrameStyles();
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Link href={routeHash({ page: 'my-access', section: 'catalog' })}>{t('backToCatalog')}</Link>
        <SignedIn />
      </header>
      <main className={styles.main}>{props.children}</main>
    </div>
  );
}
