import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../adapters/kafka/client.js';
import type { Config, KafkaConfig } from '../config/index.js';
import { createLogger } from '../main.js';
import { usageError } from './exitCodes.js';

/** A client for the configured brokers; without KAFKA_BROKERS the command cannot run (a usage error, exit 2). */
export function kafkaFor(cmd: Command, config: Config): { kafka: Kafka; settings: KafkaConfig } {
  if (!config.kafka) usageError(cmd, 'KAFKA_BROKERS is not set');
  return { kafka: createKafka(config.kafka, createLogger(config)), settings: config.kafka };
}
