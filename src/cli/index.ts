#!/usr/bin/env node
import { runCli } from './program.js';

// The program and its commands live in program.ts and commands/. Exiting explicitly (as the CLI always has) keeps
// a stray handle of a stopped engine or Kafka client from holding the process open.
process.exit(await runCli(process.argv.slice(2)));
