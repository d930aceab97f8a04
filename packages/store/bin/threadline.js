#!/usr/bin/env node
import { runCli } from '../dist/cli/index.js'

// A closed pipe (`threadline query | head`) ends the command quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

process.exitCode = await runCli(process.argv.slice(2))
