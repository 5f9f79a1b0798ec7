/**
 * Call-type grants: which capabilities a user's role in a call has. The server token can
 * do everything. A user token must be valid for the call (`call_cids`, when present), and
 * the call type must grant the capability to the user's role in the call (default role
 * `user`). A call type with no grants configured lets users publish their own media and
 * nothing else; configured grants replace that default entirely.
 */
import type { FastifyRequest } from 'fastify';
import type { CallService } from '../../calls/index.js';
import type { Grants } from '../../db/index.js';
import { callCid } from '../../db/index.js';
import { TapedeckError } from '../../errors.js';
import { principalOf } from '../auth/auth-hook.js';

export type Capability = 'StartRecording' | 'StopRecording' | 'PublishMedia';

/** Grants of a call type that has none configured. */
export const DEFAULT_GRANTS: Grants = { user: ['PublishMedia'] };

/** Throws FORBIDDEN unless the request's principal may use `capability` in the call. */
export async function requireCapability(
  request: FastifyRequest,
  service: CallService,
  call: { readonly type: string; readonly id: string },
  capability: Capability,
): Promise<void> {
  const principal = principalOf(request);
  if (principal.kind === 'server') return;
  const cid = callCid(call.type, call.id);
  if (principal.callCids !== undefined && !principal.callCids.includes(cid)) {
    throw new TapedeckError('FORBIDDEN', `this token is not valid for call ${cid}`);
  }
  const callType = await service.getCallType(call.type);
  const view = await service.describeCall(call.type, call.id);
  const role = view.members.find((m) => m.userId === principal.userId)?.role ?? 'user';
  const grants = Object.keys(callType.grants).length === 0 ? DEFAULT_GRANTS : callType.grants;
  if (!(grants[role] ?? []).includes(capability)) {
    throw new TapedeckError(
      'FORBIDDEN',
      `call type ${call.type} does not grant ${capability} to role ${role}`,
    );
  }
}
