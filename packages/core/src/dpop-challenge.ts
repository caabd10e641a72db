/**
 * The `WWW-Authenticate` answer when DPoP is on (RFC 9449 §7.1): a `DPoP` challenge with the
 * proof algorithms (`algs`), beside the `Bearer` one while bearer tokens are still accepted. The
 * error goes on the challenge of the scheme the request used (or on the `DPoP` one for a proof
 * error, or when only DPoP is accepted); the other carries only the realm and metadata URL.
 */
import { authChallenge, DpopProofError, ScopeGateError, withHeaders, type BearerChallenge } from './errors';
import type { TokenScheme } from './sender-constraint';

/** What the challenge needs of the verifier's DPoP settings. */
export interface DpopChallengeSettings {
  readonly algorithms: readonly string[];
  readonly required: boolean;
}

/** `error` answered with DPoP's challenges; errors without a challenge (503, 500) unchanged. */
export function withDpopChallenge(error: ScopeGateError, realm: string | undefined, dpop: DpopChallengeSettings, scheme: TokenScheme, metadata?: string): ScopeGateError {
  let params = (error as ScopeGateError & { challenge?: BearerChallenge }).challenge;
  if (params === undefined) return error;
  // RFC 9728 §5.1: every 401 names the metadata, proof errors too (they come from the verifier without it).
  if (metadata !== undefined && error.status === 401 && params.resource_metadata === undefined) params = { ...params, resource_metadata: metadata };
  const onDpop = dpop.required || scheme === 'DPoP' || error instanceof DpopProofError;
  const plain: BearerChallenge = params.resource_metadata === undefined ? {} : { resource_metadata: params.resource_metadata };
  const challenges: string[] = [];
  if (!dpop.required) challenges.push(authChallenge('Bearer', realm, onDpop ? plain : params));
  challenges.push(authChallenge('DPoP', realm, onDpop ? params : plain, dpop.algorithms));
  return withHeaders(error, { ...error.headers, 'WWW-Authenticate': challenges.join(', ') });
}
