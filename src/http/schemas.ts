// The request and response schemas, by resource in ./schemas/; routes import them all from here (`* as S`).
export { Minor, Rail, Status, Uuid } from './schemas/common.js';
export {
  CancelBody,
  ClearFlagBody,
  ConfirmPaymentBody,
  CreateEscrowBody,
  createEscrowBodyFor,
  DisputeBody,
  EmptyBody,
  MarkDeliveredBody,
  RefundBody,
  ReleaseBody,
  ResolveBody,
  SuspenseApplyBody,
  SuspenseRefundBody,
  TimeoutsBody,
} from './schemas/escrowBodies.js';
export { DisputeView, EscrowDetailsView, EscrowList, EscrowView, SuspenseList } from './schemas/escrowViews.js';
export {
  CommandAccepted,
  CommandView,
  DeadLetterList,
  DeadLetterQuery,
  HealthView,
  MigrationsBody,
  MigrationsView,
  OutboxReplayBody,
  OutboxReplayResult,
  OutboxSkipBody,
  OutboxSkipParams,
  OutboxSkipResult,
  OutboxStatusView,
  SandboxPaymentBody,
  TimeoutsSummary,
  VerifyResult,
  WebhookAck,
  WebhookBody,
  WebhookOutcomeView,
} from './schemas/operations.js';
export { ProblemView, problemResponse, problems } from './schemas/problems.js';
export {
  DisputeParams,
  EscrowParams,
  GetQuery,
  IdempotencyHeaders,
  ListQuery,
  SettlementParams,
  SuspenseListQuery,
  SuspenseParams,
} from './schemas/requests.js';
export {
  SuspenseApplyRequest,
  SuspenseDryRunView,
  SuspenseRefundRequest,
  SuspenseResolution,
} from './schemas/suspenseActions.js';
export {
  PayoutAccountBody,
  PayoutAccountList,
  PayoutAccountParams,
  PayoutAccountRegistration,
  SellerParams,
  WaitingSettlementList,
  WaitingSettlementsQuery,
} from './schemas/payoutAccounts.js';
