import { authorize } from '../../../policies';
import type { GraphRequest, GraphRouter } from '../../router';
import { listOf, oneOf } from '../helpers';

const audits = 'auditLogs/directoryAudits';

/** `/auditLogs/directoryAudits`: administrators read the audit trail, newest first unless $orderby says otherwise. */
export function registerAudit(router: GraphRouter): void {
  router
    .add('GET', audits, (req) => {
      authorize(req.ctx.principal, 'audit.read');
      // The engine orders by id when no $orderby is given; an audit trail reads newest first.
      const options = req.options.orderby === undefined ? { ...req.options, orderby: 'activityDateTime desc' } : req.options;
      const request: GraphRequest = { ...req, options };
      return listOf(request, 'directoryAudit', audits);
    })
    .add('GET', `${audits}/{id}`, (req) => {
      authorize(req.ctx.principal, 'audit.read');
      return oneOf(req, 'directoryAudit', req.params.id, audits);
    });
}
