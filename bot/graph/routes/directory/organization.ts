import type { GraphRouter } from '../../router';
import { listOf, oneOf } from '../helpers';

/** `/organization`: the home tenant, readable by everyone signed in (Graph's User.Read). */
export function registerOrganization(router: GraphRouter): void {
  router
    .add('GET', 'organization', (req) => listOf(req, 'organization', 'organization'))
    .add('GET', 'organization/{id}', (req) => oneOf(req, 'organization', req.params.id, 'organization'));
}
