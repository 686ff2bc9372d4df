import { NotFoundError, TokenGoneError, ValidationError } from '../domain/errors.ts';
import { passwordProblems } from '../domain/password-policy.ts';
import { hashToken } from './order-fulfilment.ts';
import type { AccessTokenRepository, MailboxRepository, MailPlatform } from './ports.ts';

export interface SetFirstPasswordDeps {
  tokens: AccessTokenRepository;
  mailboxes: Pick<MailboxRepository, 'get' | 'markPasswordSet'>;
  platform: Pick<MailPlatform, 'setPassword'>;
}

/**
 * The holder creates the mailbox password from the first-access link:
 * 1. the password must meet the policy (checked before the link is spent);
 * 2. the token is claimed atomically: one request ever succeeds with it;
 * 3. the password is set on the mail platform (which keeps only a hash), and the mailbox shows it.
 * If the platform fails, the claim is given back so the link still works.
 */
export async function setFirstPassword(
  deps: SetFirstPasswordDeps,
  input: { token: string; password: string },
  now: Date,
): Promise<void> {
  const basic = passwordProblems(input.password);
  if (basic.length > 0) throw weak(basic);

  const tokenHash = hashToken(input.token);
  const { result, token } = await deps.tokens.claim(tokenHash, now);
  if (result === 'unknown') throw new NotFoundError('This first-access link', 'token_not_found');
  if (result === 'used' || result === 'expired') throw new TokenGoneError(result);
  if (!token) throw new Error('claimed token without its record');

  const mailbox = await deps.mailboxes.get(token.address);
  if (!mailbox || mailbox.passwordSet) throw new TokenGoneError('used');
  const withContext = passwordProblems(input.password, { address: token.address });
  try {
    if (withContext.length > 0) throw weak(withContext);
    await deps.platform.setPassword(token.address, input.password);
  } catch (error) {
    await deps.tokens.unclaim(tokenHash);
    throw error;
  }
  await deps.mailboxes.markPasswordSet(token.address);
}

const weak = (problems: string[]) =>
  new ValidationError(
    problems.map((message) => ({ path: 'password', message })),
    'The password does not meet the password policy.',
  );
