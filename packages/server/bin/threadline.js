#!/usr/bin/env node
import { main } from '../dist/cli.js'

// A closed pipe (`threadline query | head`) ends the command quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

process.exitCode = await main(process.argv.slice(2))
