import type { Command } from 'commander';
import { createTopics } from '../../adapters/kafka/client.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { kafkaFor } from '../kafka.js';
import { jsonOption } from '../output.js';

/** `escrow kafka create-topics`: the deployment guide's topics, those that do not exist yet. */
export function registerKafkaCreateTopics(kafkaGroup: Command, ctx: CliContext): void {
  const cmd = kafkaGroup
    .command('create-topics')
    .description('create the commands, events and DLQ topics (partitions, 90-day delete retention, snappy)')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['KAFKA_BROKERS=kafka-1:9092,kafka-2:9092 escrow kafka create-topics'],
    output: 'JSON on stdout: {"created": [the topics that did not exist]}',
    notes: ['Needs KAFKA_BROKERS (a usage error without it).'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { kafka, settings } = kafkaFor(cmd, ctx.config());
      ctx.print({ created: await createTopics(kafka, settings) });
      return EXIT.ok;
    }),
  );
}
