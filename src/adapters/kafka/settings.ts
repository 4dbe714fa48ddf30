/** Kafka mode's settings (KAFKA_* variables, parsed by the configuration). */
export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  groupId: string;
  commandsTopic: string;
  eventsTopic: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  topics: { commandsPartitions: number; eventsPartitions: number; replicationFactor: number; retentionDays: number };
  replyTimeoutMs: number;
  /** The API gathers commands sent within this many ms into one produce request. */
  lingerMs: number;
  worker: { maxInFlight: number; maxAttempts: number; sessionTimeoutMs: number; fetchMaxWaitMs: number };
}
