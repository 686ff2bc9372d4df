import * as z from 'zod';
import { seconds } from '../config.ts';
import type { LinkSettings } from '../use-cases/access-links.ts';

/**
 * What a function that emails first-access links reads: the page the links open and how long a
 * first-access token lives (the `pec:passwordSetupUrl` and `pec:firstAccessTokenTtlHours` settings).
 */
export const firstAccessLinkVariables = { PASSWORD_SETUP_URL: z.url(), ACCESS_TOKEN_TTL_SECONDS: seconds };

/** The same for password-reset links, whose tokens live `pec:passwordResetTokenTtlMinutes`. */
export const resetLinkVariables = { PASSWORD_SETUP_URL: z.url(), RESET_TOKEN_TTL_SECONDS: seconds };

export const firstAccessLinkSettings = (
  config: z.output<z.ZodObject<typeof firstAccessLinkVariables>>,
): LinkSettings => ({
  passwordSetupUrl: config.PASSWORD_SETUP_URL,
  tokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
});

export const resetLinkSettings = (config: z.output<z.ZodObject<typeof resetLinkVariables>>): LinkSettings => ({
  passwordSetupUrl: config.PASSWORD_SETUP_URL,
  tokenTtlSeconds: config.RESET_TOKEN_TTL_SECONDS,
});
