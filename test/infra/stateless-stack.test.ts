import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../infra/api-routes.ts';
import { HANDLER_METADATA_KEY } from '../../infra/constructs/pec-function.ts';
import { buildPecApp } from '../../infra/pec-app.ts';
import {
  allowStatementsOfRole,
  asArray,
  type CfnResource,
  invokedLogicalIds,
  nestedTemplateInParentTerms,
  onlyResourceOfType,
  referencedLogicalId,
  referencedLogicalIds,
  resourcesOfType,
  rolesAllowing,
  stateMachineDefinition,
  stateMachineOf,
} from './template-queries.ts';

const handlersDir = fileURLToPath(new URL('../../functions/handlers/', import.meta.url));

let template: Template;
/** The alarms and the dashboard: a nested stack of the stateless one, read in the stateless stack's terms. */
let operations: Template;
let functions: [string, CfnResource][];

beforeAll(() => {
  const { stateless } = buildPecApp({ skipBundling: true, nag: false });
  template = Template.fromStack(stateless);
  operations = nestedTemplateInParentTerms(stateless, stateless.operations);
  functions = Object.entries(resourcesOfType(template, 'AWS::Lambda::Function'));
});

const variablesOf = (fn: CfnResource) =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
const roleOf = (fn: CfnResource) => referencedLogicalId(fn.Properties?.Role);
const handlerOf = (fn: CfnResource) => fn.Metadata?.[HANDLER_METADATA_KEY];
const functionOfHandler = (handler: string): [string, CfnResource] => {
  const found = functions.filter(([, fn]) => handlerOf(fn) === handler);
  if (found.length !== 1) throw new Error(`expected one function running ${handler}, found ${found.length}`);
  return found[0] as [string, CfnResource];
};
const functionIdOfHandler = (handler: string) => functionOfHandler(handler)[0];
const roleOfHandler = (handler: string) => roleOf(functionOfHandler(handler)[1]);
const stateMachineRole = () => {
  const [, stateMachine] = stateMachineOf(template, 'OrderFulfilment');
  return referencedLogicalId(stateMachine.Properties?.RoleArn);
};
/** The functions the order workflow invokes: its state functions. */
const stateFunctionIds = () => {
  const [, stateMachine] = stateMachineOf(template, 'OrderFulfilment');
  return [...invokedLogicalIds(stateMachineDefinition(stateMachine))];
};

describe('every Lambda function', () => {
  it("number one per API route, one per function the workflow invokes, the renewal sweep's three, the domain certification's two, the bank statements, the SES feedback and the attention gauge", () => {
    expect(functions.length).toBe(API_ROUTES.length + stateFunctionIds().length + 8);
  });

  it('runs Node.js 24 on arm64 with active X-Ray tracing', () => {
    for (const [id, fn] of functions) {
      expect({ id, ...fn.Properties }).toMatchObject({
        id,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('logs to its own log group, which has a retention', () => {
    const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    const used = functions.map(([id, fn]) => {
      const logGroupId = referencedLogicalId((fn.Properties?.LoggingConfig as { LogGroup?: unknown })?.LogGroup);
      expect(logGroupId, `${id} has a LoggingConfig.LogGroup`).toBeDefined();
      expect(logGroups[logGroupId ?? '']?.Properties?.RetentionInDays, `${id}'s log retention`).toBe(30);
      return logGroupId;
    });
    expect(new Set(used).size).toBe(functions.length);
  });

  it('has its own IAM role, shared with no other function', () => {
    const roles = functions.map(([, fn]) => roleOf(fn));
    const iamRoles = resourcesOfType(template, 'AWS::IAM::Role');
    for (const role of roles) expect(iamRoles[role ?? '']?.Type).toBe('AWS::IAM::Role');
    expect(new Set(roles).size).toBe(functions.length);
    expect(roles).not.toContain(stateMachineRole());
  });

  it(`names, in its ${HANDLER_METADATA_KEY} metadata, an existing file under functions/handlers/`, () => {
    for (const [id, fn] of functions) {
      const handler = handlerOf(fn);
      expect(typeof handler, `${id}'s ${HANDLER_METADATA_KEY}`).toBe('string');
      expect(existsSync(`${handlersDir}${String(handler)}.ts`), `functions/handlers/${String(handler)}.ts`).toBe(true);
    }
  });
});

describe('the REST API', () => {
  const apiResources = () => resourcesOfType(template, 'AWS::ApiGateway::Resource');

  /** A method's path, rebuilt from the PathPart chain of its resources up to the root. */
  const pathOf = (resourceRef: unknown): string => {
    const isRoot = (ref: unknown) => JSON.stringify(ref).includes('RootResourceId');
    const parts: string[] = [];
    let current = resourceRef;
    while (!isRoot(current)) {
      const resource = apiResources()[referencedLogicalId(current) ?? ''];
      if (!resource) throw new Error(`unknown API resource ${JSON.stringify(current)}`);
      parts.unshift(String(resource.Properties?.PathPart));
      current = resource.Properties?.ParentId;
    }
    return `/${parts.join('/')}`;
  };

  const methods = () =>
    Object.values(resourcesOfType(template, 'AWS::ApiGateway::Method')).map((method) => ({
      method: String(method.Properties?.HttpMethod),
      path: pathOf(method.Properties?.ResourceId),
      apiKeyRequired: method.Properties?.ApiKeyRequired === true,
      integration: method.Properties?.Integration as { Type?: string; Uri?: unknown },
    }));
  const byRoute = (a: { method: string; path: string }, b: { method: string; path: string }) =>
    `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`);

  it('has exactly the routes of API_ROUTES, requiring an API key exactly where the route says so', () => {
    const deployed = methods()
      .filter((m) => m.method !== 'OPTIONS')
      .map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired }))
      .sort(byRoute);
    const expected = API_ROUTES.map((route) => ({
      method: route.method,
      path: route.path,
      apiKeyRequired: route.apiKey,
    })).sort(byRoute);
    expect(deployed).toEqual(expected);
  });

  it("sends each route to its handler's function (Lambda proxy)", () => {
    for (const route of API_ROUTES) {
      const method = methods().find((m) => m.method === route.method && m.path === route.path);
      expect(method?.integration.Type, `${route.method} ${route.path}`).toBe('AWS_PROXY');
      expect([...referencedLogicalIds(method?.integration.Uri)]).toContain(functionIdOfHandler(route.handler));
    }
  });

  it('answers CORS preflights on every resource, the root included, without an API key', () => {
    const preflights = methods().filter((m) => m.method === 'OPTIONS');
    expect(preflights).toHaveLength(Object.keys(apiResources()).length + 1);
    expect(preflights.filter((m) => m.apiKeyRequired)).toEqual([]);
  });

  it("points the emailed links at the deployed API's own GET /password-setup by default", () => {
    const [apiId] = onlyResourceOfType(template, 'AWS::ApiGateway::RestApi');
    const withUrl = functions.filter(([, fn]) => 'PASSWORD_SETUP_URL' in variablesOf(fn));
    expect(withUrl.map(([, fn]) => handlerOf(fn)).sort()).toEqual([
      'operator-resend-emails',
      'request-first-access-link',
      'request-password-reset',
      'send-first-access-email',
    ]);
    for (const [, fn] of withUrl) {
      const url = variablesOf(fn).PASSWORD_SETUP_URL as { 'Fn::Join': [string, unknown[]] };
      const [, parts] = url['Fn::Join'];
      expect(parts[0]).toBe('https://');
      expect(referencedLogicalId(parts[1])).toBe(apiId);
      expect(parts.at(-1)).toBe('/v1/password-setup');
    }
    const outputs = template.findOutputs('*', { Description: Match.stringLikeRegexp('password-setup') });
    expect(Object.values(outputs).map((output) => output.Value)).toEqual([
      (variablesOf(withUrl[0]?.[1] as CfnResource) as Record<string, unknown>).PASSWORD_SETUP_URL,
    ]);
  });

  it('points them at another page when pec:passwordSetupUrl names one, and refuses a value that is no URL', () => {
    const page = 'https://pec.example.com/primo-accesso';
    const { stateless } = buildPecApp({ skipBundling: true, nag: false, context: { 'pec:passwordSetupUrl': page } });
    const named = Object.values(resourcesOfType(Template.fromStack(stateless), 'AWS::Lambda::Function'))
      .map((fn) => variablesOf(fn).PASSWORD_SETUP_URL)
      .filter((url) => url !== undefined);
    expect(named).toEqual([page, page, page, page]);
    expect(() =>
      buildPecApp({ skipBundling: true, nag: false, context: { 'pec:passwordSetupUrl': 'primo-accesso' } }),
    ).toThrow('The setting pec:passwordSetupUrl must be an http(s) URL, not "primo-accesso"');
  });

  it('throttles storefront keys with a usage plan on the deployed stage', () => {
    const storefrontPlans = Object.values(resourcesOfType(template, 'AWS::ApiGateway::UsagePlan')).filter((plan) =>
      String(plan.Properties?.UsagePlanName).startsWith('storefront-'),
    );
    expect(storefrontPlans).toHaveLength(1);
    const plan = storefrontPlans[0] as (typeof storefrontPlans)[number];
    expect(plan.Properties?.Throttle).toEqual({ RateLimit: 50, BurstLimit: 100 });
    const [stageId] = onlyResourceOfType(template, 'AWS::ApiGateway::Stage');
    const stages = asArray(plan.Properties?.ApiStages as { Stage?: unknown }[] | undefined).map((s) =>
      referencedLogicalId(s.Stage),
    );
    expect(stages).toContain(stageId);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it('gives every storefront of pec:storefronts its own API key in its own usage plan', () => {
    const { stateless } = buildPecApp({
      skipBundling: true,
      nag: false,
      context: { 'pec:storefronts': 'shop-one,shop-two,shop-three' },
    });
    const several = Template.fromStack(stateless);
    const plans = Object.entries(resourcesOfType(several, 'AWS::ApiGateway::UsagePlan')).filter(([, plan]) =>
      String(plan.Properties?.UsagePlanName).startsWith('storefront-'),
    );
    const keys = Object.keys(resourcesOfType(several, 'AWS::ApiGateway::ApiKey'));
    const links = Object.values(resourcesOfType(several, 'AWS::ApiGateway::UsagePlanKey')).map((link) => ({
      plan: referencedLogicalId(link.Properties?.UsagePlanId),
      key: referencedLogicalId(link.Properties?.KeyId),
    }));

    expect(plans.map(([, plan]) => plan.Properties?.UsagePlanName).sort()).toEqual([
      'storefront-shop-one',
      'storefront-shop-three',
      'storefront-shop-two',
    ]);
    expect(keys).toHaveLength(3);
    // One key per plan, each key in exactly one plan.
    expect(new Set(links.map((link) => link.plan))).toEqual(new Set(plans.map(([id]) => id)));
    expect(new Set(links.map((link) => link.key))).toEqual(new Set(keys));
  });

  it('refuses a storefront name that cannot be a construct id, naming it', () => {
    expect(() =>
      buildPecApp({ skipBundling: true, nag: false, context: { 'pec:storefronts': 'default,Bad Name' } }),
    ).toThrow(/"Bad Name"/);
  });

  it('answers a missing or invalid API key with a 401 problem document', () => {
    const responses = Object.values(resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')).filter(
      (response) => response.Properties?.ResponseType === 'INVALID_API_KEY',
    );
    expect(responses).toHaveLength(1);
    const properties = responses[0]?.Properties ?? {};
    expect(properties.StatusCode).toBe('401');
    expect(properties.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
    });
    const body = JSON.parse(String((properties.ResponseTemplates as Record<string, string>)['application/json']));
    expect(body).toMatchObject({ status: 401, title: expect.any(String), type: expect.any(String) });
  });

  it('is protected by a regional WAF web ACL associated with the stage', () => {
    const [stageId] = onlyResourceOfType(template, 'AWS::ApiGateway::Stage');
    const [aclId, acl] = onlyResourceOfType(template, 'AWS::WAFv2::WebACL');
    expect(acl.Properties?.Scope).toBe('REGIONAL');
    const [, association] = onlyResourceOfType(template, 'AWS::WAFv2::WebACLAssociation');
    expect(referencedLogicalId(association.Properties?.WebACLArn)).toBe(aclId);
    expect([...referencedLogicalIds(association.Properties?.ResourceArn)]).toContain(stageId);
  });

  it('writes access logs to a log group with a retention', () => {
    const [, stage] = onlyResourceOfType(template, 'AWS::ApiGateway::Stage');
    const setting = stage.Properties?.AccessLogSetting as { DestinationArn?: unknown; Format?: string };
    expect(setting.Format).toContain('$context.requestId');
    const logGroup = resourcesOfType(template, 'AWS::Logs::LogGroup')[
      referencedLogicalId(setting.DestinationArn) ?? ''
    ];
    expect(logGroup?.Properties?.RetentionInDays).toBe(90);
  });
});

describe('least privilege', () => {
  it('lets only the payment webhooks, the bank statements and the cancellation end a waiting payment, and the DNS checks end the waits for DNS', () => {
    const ending = [
      roleOfHandler('payments-webhook'),
      roleOfHandler('stripe-webhook'),
      roleOfHandler('bank-statement'),
      roleOfHandler('cancel-order'),
    ];
    expect(new Set(rolesAllowing(template, 'states:SendTaskSuccess'))).toEqual(
      new Set([...ending, roleOfHandler('request-dns-check'), roleOfHandler('check-reseller-domain')]),
    );
    // The reseller's check ends the wait of the domain certification workflow, and of no other.
    const woken = allowStatementsOfRole(template, roleOfHandler('check-reseller-domain') ?? '')
      .filter((statement) => asArray(statement.Action).includes('states:SendTaskSuccess'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(woken).toEqual([stateMachineOf(template, 'DomainCertification')[0]]);
    expect(new Set(rolesAllowing(template, 'states:SendTaskFailure'))).toEqual(new Set(ending));
  });

  it('gives no state function SendTaskSuccess (the state machine would then depend on itself)', () => {
    const stateFunctions = functions.filter(([id]) => stateFunctionIds().includes(id));
    // One per state, FailOrder and CancelOrder sharing close-order.
    expect(stateFunctions).toHaveLength(11);
    const allowed = new Set(rolesAllowing(template, 'states:SendTaskSuccess'));
    expect(stateFunctions.filter(([, fn]) => allowed.has(roleOf(fn) ?? '')).map(([id]) => id)).toEqual([]);
  });

  // The cancellation starts a run only to close a cancelled order whose run ended.
  const starters = () =>
    new Set(
      ['create-order', 'renew-mailbox', 'sweep-mailbox', 'cancel-order'].map((handler) => roleOfHandler(handler)),
    );
  /** The role the renewal sweep's schedule starts its workflow with. */
  const scheduleRole = () => {
    const [, schedule] = onlyResourceOfType(template, 'AWS::Scheduler::Schedule');
    const target = schedule.Properties?.Target as { RoleArn: unknown } | undefined;
    return referencedLogicalId(target?.RoleArn) ?? '';
  };

  it('lets only the order intake functions (new orders, renewals, the renewal sweep) and the cancellation start the workflow', () => {
    const domainRequest = roleOfHandler('request-reseller-domain');
    expect(new Set(rolesAllowing(template, 'states:StartExecution'))).toEqual(
      new Set([...starters(), scheduleRole(), domainRequest]),
    );
    // A reseller's domain request starts the domain certification workflow, and nothing else.
    const certifying = allowStatementsOfRole(template, domainRequest ?? '')
      .filter((statement) => asArray(statement.Action).includes('states:StartExecution'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(certifying).toEqual([stateMachineOf(template, 'DomainCertification')[0]]);
    // The schedule starts the sweep workflow, and nothing else.
    const started = allowStatementsOfRole(template, scheduleRole())
      .filter((statement) => asArray(statement.Action).includes('states:StartExecution'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(started).toEqual([stateMachineOf(template, 'RenewalSweep')[0]]);
  });

  it('lets the same functions, and only them, read an execution’s status (to restart an order whose run ended)', () => {
    // And the operator's redrive, which looks for the order's latest execution.
    expect(new Set(rolesAllowing(template, 'states:DescribeExecution'))).toEqual(
      new Set([...starters(), roleOfHandler('operator-redrive')]),
    );
  });

  it('lets only the approval of a reseller create API keys, on the resellers’ usage plan of the deployed stage', () => {
    expect(rolesAllowing(template, 'apigateway:POST')).toEqual([roleOfHandler('operator-approve-reseller')]);
    expect(rolesAllowing(template, 'apigateway:GET')).toEqual([roleOfHandler('operator-approve-reseller')]);
    const [planId, plan] = Object.entries(resourcesOfType(template, 'AWS::ApiGateway::UsagePlan')).find(
      ([, candidate]) => candidate.Properties?.UsagePlanName === 'PecStateless-resellers',
    ) ?? ['', undefined];
    expect(plan).toBeDefined();
    const [stageId] = onlyResourceOfType(template, 'AWS::ApiGateway::Stage');
    const stages = asArray(plan?.Properties?.ApiStages as { Stage?: unknown }[] | undefined);
    expect(stages.map((stage) => referencedLogicalId(stage.Stage))).toEqual([stageId]);
    // Keys are created at approval, never in the template.
    const links = Object.values(resourcesOfType(template, 'AWS::ApiGateway::UsagePlanKey'));
    expect(links.map((link) => referencedLogicalId(link.Properties?.UsagePlanId))).not.toContain(planId);
  });

  it('lets only the operator redrive function redrive an execution, and only the order workflow’s', () => {
    expect(rolesAllowing(template, 'states:RedriveExecution')).toEqual([roleOfHandler('operator-redrive')]);
  });

  it('authorises every operator route with IAM (SigV4), and no other route', () => {
    const methods = Object.values(resourcesOfType(template, 'AWS::ApiGateway::Method')).filter(
      (method) => method.Properties?.HttpMethod !== 'OPTIONS',
    );
    const iam = methods.filter((method) => method.Properties?.AuthorizationType === 'AWS_IAM');
    expect(iam.map((method) => method.Properties?.OperationName).sort()).toEqual([
      'operator-approve-reseller',
      'operator-list-anomalies',
      'operator-list-orders',
      'operator-list-resellers',
      'operator-redrive',
      'operator-refund-done',
      'operator-reject-reseller',
      'operator-resend-emails',
    ]);
    for (const method of iam) expect(method.Properties?.ApiKeyRequired).toBe(false);
  });

  it('gives the bank details only to the function that emails the payment instructions', () => {
    const bankDetails = ['PAYMENT_BENEFICIARY', 'PAYMENT_IBAN', 'PAYMENT_POSTAL_ACCOUNT'];
    const given = functions.flatMap(([, fn]) =>
      bankDetails.filter((name) => name in variablesOf(fn)).map((name) => `${handlerOf(fn)}: ${name}`),
    );
    // And to the operator's resend of an order's emails, which sends them again.
    expect(given.sort()).toEqual(
      ['await-payment', 'operator-resend-emails']
        .flatMap((handler) => bankDetails.map((name) => `${handler}: ${name}`))
        .sort(),
    );
  });

  it('starts the renewal sweep workflow every day, with a retry policy and a dead-letter queue', () => {
    const [, schedule] = onlyResourceOfType(template, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties?.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    const target = schedule.Properties?.Target as {
      Arn: unknown;
      Input: string;
      RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
      DeadLetterConfig?: { Arn: unknown };
    };
    expect(referencedLogicalId(target.Arn)).toBe(stateMachineOf(template, 'RenewalSweep')[0]);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 6 * 3600 });
    const [queueId, queue] = onlyResourceOfType(template, 'AWS::SQS::Queue');
    expect(referencedLogicalId(target.DeadLetterConfig?.Arn)).toBe(queueId);
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    // The sweep runs as of the time it was scheduled for.
    expect(JSON.parse(target.Input)).toEqual({ at: '<aws.scheduler.scheduled-time>' });
  });

  it('sweeps the due mailboxes (and reseller domains) of a page a bounded number at a time, a failed one caught so the others go on', () => {
    const definition = stateMachineDefinition(stateMachineOf(template, 'RenewalSweep')[1]) as unknown as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    expect(definition.StartAt).toBe('NextPage');
    const map = definition.States.SweepMailboxes as {
      Type: string;
      MaxConcurrency: number;
      ItemsPath: string;
      Next: string;
      ItemProcessor: {
        StartAt: string;
        States: Record<
          string,
          { Catch?: { ErrorEquals: string[]; Next: string }[]; Choices?: { StringMatches?: string; Next: string }[] }
        >;
      };
    };
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 10, ItemsPath: '$.addresses', Next: 'NextPage' });
    // Each item is a mailbox address or a reseller domain (`DOMAIN#<domain>`), each to its own step.
    const route = map.ItemProcessor.States[map.ItemProcessor.StartAt];
    expect(route).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.address', StringMatches: 'DOMAIN#*', Next: 'SweepDomain' }],
      Default: 'SweepMailbox',
    });
    expect(map.ItemProcessor.States.SweepMailbox?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'MailboxFailed' }),
    ]);
    expect(map.ItemProcessor.States.SweepDomain?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'DomainFailed' }),
    ]);
    expect(definition.States.AllSwept).toMatchObject({ Type: 'Choice', Default: 'SweepMailboxes' });
  });

  it('lets the sweep workflow invoke its three functions, and no other', () => {
    const [, machine] = stateMachineOf(template, 'RenewalSweep');
    const role = referencedLogicalId(machine.Properties?.RoleArn) ?? '';
    const invokable = allowStatementsOfRole(template, role)
      .filter((statement) => asArray(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(new Set(invokable)).toEqual(
      new Set([
        functionIdOfHandler('renewal-sweep'),
        functionIdOfHandler('sweep-mailbox'),
        functionIdOfHandler('sweep-domain'),
      ]),
    );
  });

  it('lets the domain certification workflow invoke its two functions, and no other', () => {
    const [, machine] = stateMachineOf(template, 'DomainCertification');
    const role = referencedLogicalId(machine.Properties?.RoleArn) ?? '';
    const invokable = allowStatementsOfRole(template, role)
      .filter((statement) => asArray(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(new Set(invokable)).toEqual(
      new Set([functionIdOfHandler('check-pending-domain'), functionIdOfHandler('await-pending-domain')]),
    );
  });

  it('lets the state machine invoke each of its state functions, and no other function', () => {
    const role = stateMachineRole() ?? '';
    const invokable = allowStatementsOfRole(template, role)
      .filter((statement) => asArray(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap((statement) => [...referencedLogicalIds(statement.Resource)]);
    expect(new Set(invokable)).toEqual(new Set(stateFunctionIds()));
  });

  it('grants Resource "*" only for X-Ray and log delivery, which accept nothing narrower', () => {
    const acceptsOnlyStar =
      /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
    const tooBroad = Object.keys(resourcesOfType(template, 'AWS::IAM::Role')).flatMap((role) =>
      allowStatementsOfRole(template, role)
        .filter((statement) => asArray(statement.Resource).includes('*'))
        .flatMap((statement) => asArray(statement.Action))
        .filter((action) => !acceptsOnlyStar.test(action))
        .map((action) => `${role}: ${action} on *`),
    );
    expect(tooBroad).toEqual([]);
  });
});

describe('operations', () => {
  it('pages on an encrypted, TLS-only topic for API 5xx, workflow timeouts and every function crashing', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const alarms = Object.values(resourcesOfType(operations, 'AWS::CloudWatch::Alarm'));
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.Properties?.MetricName === name);
    expect(byMetric('5XXError')).toHaveLength(1);
    expect(byMetric('ExecutionsTimedOut')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(functions.length);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toHaveLength(1);
  });
});

describe('CloudFormation limits', () => {
  // CloudFormation refuses a template of more than 500 resources (cdk synth fails with
  // TooManyResourcesInStack): every route adds about six (method, function, role, policy, log group,
  // permission), so the stateless stack keeps a margin.
  const LIMIT = 450;

  it(`the stateless stack has at most ${LIMIT} resources (CloudFormation's limit is 500)`, () => {
    const count = Object.keys(template.toJSON().Resources as Record<string, unknown>).length;
    expect(
      count,
      `the stateless stack has ${count} resources, above ${LIMIT}: CloudFormation refuses more than 500 in one stack. ` +
        'Move a group of resources into a NestedStack of its own (as the alarms and the dashboard are, OperationsStack ' +
        'in infra/constructs/operations-alarms.ts): CDK passes the references across as parameters (at most 200).',
    ).toBeLessThanOrEqual(LIMIT);
  });

  it('the alarms and the dashboard are in the operations nested stack, none left in the stateless stack', () => {
    expect(Object.keys(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))).toEqual([]);
    expect(Object.keys(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'))).toEqual([]);
    expect(Object.keys(resourcesOfType(template, 'AWS::CloudFormation::Stack'))).toHaveLength(1);
    expect(Object.keys(resourcesOfType(operations, 'AWS::CloudWatch::Alarm')).length).toBeGreaterThan(60);
    expect(Object.keys(resourcesOfType(operations, 'AWS::CloudWatch::Dashboard'))).toHaveLength(1);
  });

  it('the operations nested stack takes fewer than 200 parameters', () => {
    const { stateless } = buildPecApp({ skipBundling: true, nag: false });
    const parameters = Object.keys(
      (Template.fromStack(stateless.operations).toJSON().Parameters ?? {}) as Record<string, unknown>,
    );
    expect(parameters.length).toBeGreaterThan(0);
    expect(parameters.length).toBeLessThan(200);
  });
});
