// A minimal local intake per vendor, run in its own process so that its CPU is not
// counted as the app's: it reads each request body and answers as the intake would on
// success. Prints its port on stdout, then serves until killed.
import { createServer } from 'node:http'
import process from 'node:process'

const ANSWERS = {
  http: [200, '{"accepted":0,"rejected":[],"duplicates":0}'],
  datadog: [202, '{}'],
  splunk: [200, '{"text":"Success","code":0}'],
  cloudwatch: [200, '{"nextSequenceToken":"1"}'],
  webhook: [200, '{"ok":true}'],
  null: [200, '{}'],
}
const [status, body] = ANSWERS[process.argv[2]] ?? [200, '{}']
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(body)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
