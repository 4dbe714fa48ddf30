// The HTTP bench records its steps with the engine bench's recorder (p95 included).
export { LatencyRecorder as StepLatencies, summarize, type LatencySummary as StepSummary } from '../engine/latency.js';
