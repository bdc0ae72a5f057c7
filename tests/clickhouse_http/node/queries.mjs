// Runs queries through the official Node client, @clickhouse/client, against the
// interface, as tests/clickhouse_http/test_node_client.py asks on stdin, and prints
// what the client got as JSON on stdout: raw result texts, parsed rows, error codes.
import { createClient } from '@clickhouse/client'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const spec = JSON.parse(Buffer.concat(chunks).toString())

const client = createClient({
  url: spec.url,
  username: spec.username,
  password: spec.password,
  database: spec.database,
  compression: { response: true, request: false },
})

async function errorOf(promise) {
  try {
    await promise
    return null
  } catch (error) {
    return { code: String(error.code), type: error.type ?? null, message: error.message }
  }
}

const out = { ping: (await client.ping()).success, texts: [], rows: {}, errors: {} }

for (const { query, format } of spec.queries) {
  const result = await client.query({ query, format })
  out.texts.push(await result.text())
}

const money = await client.query({
  query: 'SELECT count() AS calls, sum(cost) AS cost FROM llm_calls',
  format: 'JSONEachRow',
})
out.rows.money = await money.json()

const params = await client.query({
  query: 'SELECT {x:UInt8} + 1 AS y, {s:String} AS s',
  query_params: { x: 41, s: "it's" },
  clickhouse_settings: { max_threads: 2 },
  format: 'JSONEachRow',
})
out.rows.params = await params.json()

out.errors.command = await errorOf(
  client.command({ query: "INSERT INTO llm_calls (trace_id) VALUES ('x')" }),
)
out.errors.insert = await errorOf(
  client.insert({ table: 'llm_calls', values: [{ trace_id: 'x' }], format: 'JSONEachRow' }),
)
out.errors.exec = await errorOf(client.exec({ query: 'DROP TABLE llm_calls' }))
out.errors.setting = await errorOf(
  client.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }),
)

const stranger = createClient({ url: spec.url, username: 'x', password: 'guess' })
out.errors.password = await errorOf(stranger.query({ query: 'SELECT 1' }))
await stranger.close()
await client.close()
process.stdout.write(JSON.stringify(out))
