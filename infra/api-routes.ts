import type { Needs } from './constructs/needs.ts';

/**
 * The HTTP routes of CONTRACT.md, the handler that serves each and what it needs. The CDK API and
 * the local runtime are both built from this one table, so they cannot drift apart.
 */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  /** File name (without `.ts`) under `functions/handlers/`. */
  handler: string;
  /** Storefront routes need `x-api-key`; the others authenticate by token or signature. */
  apiKey: boolean;
  /**
   * Operator routes (`/operator/*`): authorised by IAM (SigV4, AWS_IAM on the method) in AWS, by the
   * operator key (`OPERATOR_API_KEY`) in the local gateway; the function reads who called.
   */
  operator?: true;
  description: string;
  /** What the handler's function is granted (see NeedsBinder). */
  needs: Needs;
}

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/catalog',
    handler: 'get-catalog',
    apiKey: true,
    description: 'Domains, plans and prices',
    needs: { mxHosts: true },
  },
  {
    method: 'GET',
    path: '/availability',
    handler: 'get-availability',
    apiKey: true,
    description: 'Is an address free',
    needs: { table: 'read' },
  },
  {
    method: 'POST',
    path: '/orders',
    handler: 'create-order',
    apiKey: true,
    description: 'Orders a new mailbox',
    // mailer: a reseller's debit below its threshold emails the reseller; documents: its upload forms.
    needs: {
      table: 'readWrite',
      workflowStart: true,
      paymentWait: true,
      mailer: true,
      documents: true,
      documentsRead: true,
    },
  },
  {
    method: 'GET',
    path: '/orders/{orderId}',
    handler: 'get-order',
    apiKey: true,
    description: 'Order status',
    // A reseller's order shows whether its documents arrived.
    needs: { table: 'read', documentsRead: true },
  },
  {
    method: 'POST',
    path: '/orders/{orderId}/cancel',
    handler: 'cancel-order',
    apiKey: true,
    description: 'Cancels an order still waiting for its payment',
    // Ends the order's wait (its task token), or starts a run to close it when none is running.
    needs: { table: 'readWrite', taskResponses: true, workflowStart: true, paymentWait: true },
  },
  {
    method: 'GET',
    path: '/mailboxes/{address}',
    handler: 'get-mailbox',
    apiKey: true,
    description: 'Mailbox status',
    needs: { table: 'read' },
  },
  {
    method: 'GET',
    path: '/orders',
    handler: 'list-orders',
    apiKey: true,
    description: "This storefront's orders, newest first",
    needs: { table: 'read' },
  },
  {
    method: 'GET',
    path: '/mailboxes',
    handler: 'list-mailboxes',
    apiKey: true,
    description: "This storefront's mailboxes, newest first",
    needs: { table: 'read' },
  },
  {
    method: 'POST',
    path: '/mailboxes/{address}/renewals',
    handler: 'renew-mailbox',
    apiKey: true,
    description: 'Manual renewal order',
    // mailer: a reseller's debit below its threshold emails the reseller.
    needs: { table: 'readWrite', workflowStart: true, paymentWait: true, mailer: true },
  },
  {
    method: 'PUT',
    path: '/mailboxes/{address}/auto-renew',
    handler: 'set-auto-renew',
    apiKey: true,
    description: 'Switches automatic renewal',
    needs: { table: 'readWrite' },
  },
  {
    method: 'POST',
    path: '/mailboxes/{address}/first-access-link',
    handler: 'request-first-access-link',
    apiKey: true,
    description: 'Emails the holder a new first-access link',
    needs: { table: 'readWrite', mailer: true, firstAccess: true },
  },
  {
    method: 'GET',
    path: '/password-setup',
    handler: 'get-password-setup-page',
    apiKey: false,
    description: 'The page the emailed links open, to choose the password',
    needs: {},
  },
  {
    method: 'POST',
    path: '/mailboxes/{address}/dns-check',
    handler: 'request-dns-check',
    apiKey: true,
    description: "Checks an own-domain mailbox's MX records now, not at the next poll",
    // Ends the workflow's wait for the next check; the state machine never invokes it, so no dependency cycle.
    needs: { table: 'readWrite', taskSuccess: true },
  },
  {
    method: 'POST',
    path: '/password-setup',
    handler: 'set-first-password',
    apiKey: false,
    description: 'Sets the password with a first-access or password-reset token',
    needs: { table: 'readWrite' },
  },
  {
    method: 'POST',
    path: '/password-reset',
    handler: 'request-password-reset',
    apiKey: false,
    description: 'Emails a password-reset link to the holder of a mailbox with a password',
    needs: { table: 'readWrite', mailer: true, passwordReset: true },
  },
  {
    method: 'POST',
    path: '/webhooks/payments',
    handler: 'payments-webhook',
    apiKey: false,
    description: 'Payment provider events, authenticated by their HMAC signature',
    // Resumes waiting workflows; the state machine never invokes it, so no dependency cycle.
    needs: { table: 'readWrite', audit: true, taskResponses: true, webhookSecret: true },
  },
  {
    method: 'POST',
    path: '/webhooks/stripe',
    handler: 'stripe-webhook',
    apiKey: false,
    description: "Stripe events, verified with Stripe's library against the endpoint's signing secret",
    needs: { table: 'readWrite', audit: true, taskResponses: true, stripeWebhookSecret: true },
  },
  {
    method: 'GET',
    path: '/reseller/credit',
    handler: 'get-reseller-credit',
    apiKey: true,
    description: "A reseller's prepaid credit and its movements",
    needs: { table: 'read' },
  },
  {
    method: 'POST',
    path: '/reseller/credit/top-ups',
    handler: 'request-top-up',
    apiKey: true,
    description: "Tops a reseller's credit up by bank transfer or postal slip, or by card or PayPal charged at once",
    needs: { table: 'readWrite', stripe: true },
  },
  {
    method: 'PUT',
    path: '/reseller/settings',
    handler: 'put-reseller-settings',
    apiKey: true,
    description: "A reseller's low-balance threshold",
    needs: { table: 'readWrite' },
  },
  {
    method: 'POST',
    path: '/reseller/domains',
    handler: 'request-reseller-domain',
    apiKey: true,
    description: "Certifies a reseller's domain, its year debited from the credit",
    needs: { table: 'readWrite', mxHosts: true, hostedNameServers: true, domainWorkflowStart: true },
  },
  {
    method: 'GET',
    path: '/reseller/domains',
    handler: 'list-reseller-domains',
    apiKey: true,
    description: "A reseller's certified domains",
    needs: { table: 'read' },
  },
  {
    method: 'POST',
    path: '/reseller/domains/{domain}/dns-check',
    handler: 'check-reseller-domain',
    apiKey: true,
    description: "Checks a reseller's domain MX records now",
    needs: { table: 'readWrite', mxHosts: true, hostedNameServers: true, domainTaskSuccess: true },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'get-openapi',
    apiKey: false,
    description: 'The OpenAPI 3.1 document',
    needs: {},
  },
  {
    method: 'GET',
    path: '/operator/orders',
    handler: 'operator-list-orders',
    apiKey: false,
    operator: true,
    description:
      'The orders that need a person: past their promise, a refund to make, a closing or completion unfinished',
    needs: { table: 'read' },
  },
  {
    method: 'GET',
    path: '/operator/anomalies',
    handler: 'operator-list-anomalies',
    apiKey: false,
    operator: true,
    description: 'The payment anomalies recorded on a day',
    needs: { table: 'read' },
  },
  {
    method: 'POST',
    path: '/operator/orders/{orderId}/refund-done',
    handler: 'operator-refund-done',
    apiKey: false,
    operator: true,
    description: 'Records a refund an operator made by hand',
    needs: { table: 'readWrite', audit: true },
  },
  {
    method: 'POST',
    path: '/operator/orders/{orderId}/redrive',
    handler: 'operator-redrive',
    apiKey: false,
    operator: true,
    description: "Continues the order's failed workflow execution from the state where it failed",
    // Redrives executions of the order workflow; the state machine never invokes it, so no dependency cycle.
    needs: { table: 'read', audit: true, workflowRedrive: true },
  },
  {
    method: 'POST',
    path: '/operator/orders/{orderId}/resend-emails',
    handler: 'operator-resend-emails',
    apiKey: false,
    operator: true,
    description: "Sends the holder again the emails the order's state implies",
    needs: { table: 'readWrite', audit: true, mailer: true, bankDetails: true, firstAccess: true },
  },
  {
    method: 'POST',
    path: '/resellers',
    handler: 'enrol-reseller',
    apiKey: false,
    description: 'A company applies to resell: its data, and upload forms for its documents (rate-limited per IP)',
    needs: { table: 'readWrite', documents: true },
  },
  {
    method: 'POST',
    path: '/operator/resellers/{resellerId}/approve',
    handler: 'operator-approve-reseller',
    apiKey: false,
    operator: true,
    description: "Approves an enrolment: the reseller, its API key and its first deposit's transfer",
    needs: { table: 'readWrite', audit: true, mailer: true, resellerKeys: true },
  },
  {
    method: 'POST',
    path: '/operator/resellers/{resellerId}/reject',
    handler: 'operator-reject-reseller',
    apiKey: false,
    operator: true,
    description: 'Rejects an enrolment with a reason, emailed to the applicant',
    needs: { table: 'readWrite', audit: true, mailer: true },
  },
  {
    method: 'GET',
    path: '/operator/resellers',
    handler: 'operator-list-resellers',
    apiKey: false,
    operator: true,
    description: 'The enrolments awaiting a decision, longest waiting first',
    needs: { table: 'read' },
  },
];
