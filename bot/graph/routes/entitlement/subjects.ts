import { loadSubjectByObjectId } from '../../../commands/guests/loadSubject';
import { updateSubjectBody } from '../../../commands/guests/schemas';
import { updateSubjectLifecycle } from '../../../commands/guests/updateSubjectLifecycle';
import { ValidationError } from '../../../domain/errors';
import { GraphRequest, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { oneOf } from '../helpers';
import { em } from '../paths';

/** `subjects(objectId='{id}')`: Graph addresses subjects by their directory object id. */
const subject = `${em}/subjects()`;
const context = 'identityGovernance/entitlementManagement/subjects';
const typeName = 'accessPackageSubject';

function objectIdOf(req: GraphRequest): string {
  const objectId = req.functionArgs.objectId;
  if (!objectId) throw new ValidationError("The key 'objectId' is required, as in subjects(objectId='{id}').", 'objectId');
  return objectId;
}

export function registerSubjects(router: GraphRouter): void {
  router
    .add('GET', subject, async (req) => {
      const row = await loadSubjectByObjectId(req.ctx, objectIdOf(req));
      return oneOf(req, typeName, row.id, context);
    })
    .add('PATCH', subject, async (req) => {
      await updateSubjectLifecycle(req.ctx, objectIdOf(req), parseBody(updateSubjectBody, req.body, typeName));
      return noContent();
    });
}
