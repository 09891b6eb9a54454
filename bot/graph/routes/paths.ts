/** Path prefixes of the embedded Graph, as route patterns use them. */
export const em = 'identityGovernance/entitlementManagement';
