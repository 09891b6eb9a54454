import { makeStyles, tokens } from '@fluentui/react-components';

/** The look the list sections share (requests, access, approvals, reviews). */
export const useListStyles = makeStyles({
  list: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '8px' },
  meta: { color: tokens.colorNeutralForeground2 },
  row: { display: 'flex', alignItems: 'center', gap: '8px', flexWrap: 'wrap' },
  actions: { display: 'flex', alignItems: 'center', gap: '8px', flexWrap: 'nowrap' },
  nowrap: { whiteSpace: 'nowrap' },
  section: { display: 'flex', flexDirection: 'column', gap: '12px' },
});
