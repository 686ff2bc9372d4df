import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  Cors,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Resource,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { ApiRoute } from '../api-routes.ts';

/** The API's one stage: every URL of the deployed API starts with it. */
export const STAGE_NAME = 'v1';

export interface StorefrontApiProps {
  routes: readonly { route: ApiRoute; fn: IFunction }[];
  /** Requests per second a storefront's key may make (steady, and burst). */
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * The storefronts: one API key and one usage plan each. The key's id is the storefront's identity
   * (the functions receive it, never the key), so it owns the orders its key places.
   */
  storefronts: readonly string[];
}

const problem = (status: number, code: string, title: string, detail: string) => ({
  statusCode: String(status),
  // Browser storefronts must be able to read the refusal, so it carries the CORS header too.
  responseHeaders: { 'Content-Type': "'application/problem+json'", 'Access-Control-Allow-Origin': "'*'" },
  templates: {
    'application/json': JSON.stringify({
      type: `https://pec-provisioning.dev/problems/${code}`,
      title,
      status,
      detail,
      code,
    }),
  },
});

/**
 * The public REST API. Storefront routes require an API key (`x-api-key`) tied to a usage plan, so
 * each storefront has its own key, throttle and quota without any code of ours on the hot path;
 * API Gateway's own refusals are reshaped into the contract's problem documents.
 */
export class StorefrontApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: StorefrontApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: 'pec-provisioning',
      description: 'PEC mailbox orders, payments and first access',
      endpointTypes: [EndpointType.REGIONAL],
      apiKeySourceType: ApiKeySourceType.HEADER,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: STAGE_NAME,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 200,
        throttlingBurstLimit: 400,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: Cors.ALL_ORIGINS,
        allowHeaders: ['content-type', 'x-api-key', 'idempotency-key'],
      },
    });
    // API Gateway checks what it can (declared parameters); bodies are validated by the functions' zod
    // schemas, which name every failing field in the contract's problem documents.
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const { route, fn } of props.routes) {
      const resource = route.path
        .split('/')
        .filter(Boolean)
        .reduce<Resource>(
          (parent, part) => (parent.getResource(part) as Resource) ?? parent.addResource(part),
          this.api.root as Resource,
        );
      // One invoke permission per method, for the deployed stage: the console's "Test" button (a
      // second permission per method) is not worth its share of the stack's 500 resources.
      resource.addMethod(route.method, new LambdaIntegration(fn, { allowTestInvoke: false }), {
        apiKeyRequired: route.apiKey,
        // Operators sign their requests (SigV4); API Gateway checks the IAM policy and passes the caller's ARN.
        ...(route.operator ? { authorizationType: AuthorizationType.IAM } : {}),
        requestValidator: validator,
        operationName: route.handler,
      });
    }

    this.api.addGatewayResponse('InvalidApiKey', {
      type: ResponseType.INVALID_API_KEY,
      ...problem(401, 'unauthorized', 'Unauthorized', 'A valid x-api-key header is required.'),
    });
    this.api.addGatewayResponse('UnknownRoute', {
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      ...problem(404, 'not_found', 'Not Found', 'There is no such route.'),
    });
    this.api.addGatewayResponse('Throttled', {
      type: ResponseType.THROTTLED,
      ...problem(429, 'too_many_requests', 'Too Many Requests', 'Slow down and retry later.'),
    });
    this.api.addGatewayResponse('Default5xx', {
      type: ResponseType.DEFAULT_5XX,
      ...problem(
        502,
        'bad_gateway',
        'Bad Gateway',
        'The service could not answer; retry with the same Idempotency-Key.',
      ),
    });

    for (const storefront of props.storefronts) {
      // Construct ids from the name: adding a storefront never replaces another one's key.
      const id = storefrontConstructId(storefront);
      const plan = this.api.addUsagePlan(`${id}Plan`, {
        name: `storefront-${storefront}`,
        description: `The storefront ${storefront}: its own throttle, and its key.`,
        throttle: props.throttle,
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      plan.addApiKey(this.api.addApiKey(`${id}Key`, { description: `The storefront ${storefront}.` }));
    }

    const webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'pec-api', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'aws-common',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'aws-common', sampledRequestsEnabled: true },
        },
        {
          name: 'rate-per-ip',
          priority: 1,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'rate-per-ip', sampledRequestsEnabled: true },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });

    new CfnOutput(this, 'PasswordSetupPage', {
      description: 'The page the first-access and password-reset links open (GET /password-setup)',
      value: this.urlOf('/password-setup'),
    });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Storefront routes are authorised by API keys with usage plans, operator routes by IAM (SigV4); /password-setup by its single-use token and the payment webhook by its HMAC signature, both checked in the function.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'There are no end users to sign in: callers are storefronts (API keys) and payment providers (signatures).',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The API Gateway account role uses the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, as AWS documents.',
      },
    );
  }

  /**
   * The deployed URL of one of the API's paths, built from the API's id and the stage's literal
   * name rather than from the stage resource: a function may then carry it in its environment
   * (the stage depends on the methods, which depend on the functions).
   */
  urlOf(path: string): string {
    const { region, urlSuffix } = Stack.of(this);
    return `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${STAGE_NAME}${path}`;
  }
}

/** A storefront's name as a construct id: `acme-shop` → `StorefrontAcmeShop`. */
export function storefrontConstructId(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(name)) {
    throw new Error(
      `A storefront name is 1-40 lower-case letters, digits and dashes, starting with a letter: "${name}"`,
    );
  }
  return `Storefront${name.replace(/(^|-)([a-z0-9])/g, (_match, _dash, char: string) => char.toUpperCase())}`;
}
