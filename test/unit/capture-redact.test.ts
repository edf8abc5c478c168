import { describe, expect, it } from 'vitest'
import {
  credentialsAsHeader,
  describeSource,
  parseSource,
  redactDeep,
  redactor,
  redactRemote,
  redactText,
  redactUrl,
  remoteSecrets,
  sourceSecrets,
  urlSecrets,
} from '../../src/capture/index.ts'
import { publicManifest } from '../../src/web/public-manifest.ts'

describe('redaction', () => {
  it('takes userinfo and query values out of every URL in a text, keeping host, path and keys', () => {
    expect(redactUrl('http://admin:s3cret@cam.local/snap.jpg?user=admin&pwd=hunter2')).toBe(
      'http://***@cam.local/snap.jpg?user=***&pwd=***',
    )
    expect(
      redactText("capture from 'rtsp://u:p@10.0.0.9:554/live?token=abc' failed; see https://x.org/a?b=c."),
      // What ends a value cannot be told from punctuation after it: the sentence's full stop goes too.
    ).toBe("capture from 'rtsp://***@10.0.0.9:554/live?token=***' failed; see https://x.org/a?b=***")
    expect(redactText('no url here: exit 22')).toBe('no url here: exit 22')
  })

  it("finds a URL's secrets as written and decoded, and replaces them anywhere in a text", () => {
    const url = 'http://ad%40min:p%40ss+w@cam/snap.jpg?pwd=a%20b&channel=1&t=0123456789abcdef'
    expect(urlSecrets(url).sort()).toEqual([
      '0123456789abcdef',
      'a b',
      'a%20b',
      'p%40ss+w',
      'p@ss w',
      'p@ss+w',
    ])
    // A user name or a short value ("1") is no secret alone, and would mangle ordinary words
    // if replaced everywhere; inside a URL they go anyway.
    const redact = redactor(urlSecrets(url))
    expect(redact('401 for user ad@min (password p@ss+w)')).toBe('401 for user ad@min (password ***)')
    expect(redact(`GET ${url} failed`)).toBe('GET http://***@cam/snap.jpg?pwd=***&channel=***&t=*** failed')
  })

  it('finds the secret parameters of an rclone remote, quoted or not, and shows the remote without them', () => {
    const remote =
      ":s3,provider=Minio,access_key_id=AKIA123,secret_access_key='k3y,with:colon',endpoint='http://u:pw1@127.0.0.1:9000':bucket/pi"
    expect(remoteSecrets(remote).sort()).toEqual(['AKIA123', 'k3y,with:colon', 'pw1'])
    expect(redactRemote(remote)).toBe(
      ":s3,provider=Minio,access_key_id=***,secret_access_key=***,endpoint='http://***@127.0.0.1:9000':bucket/pi",
    )
    expect(redactRemote(':webdav,url=http://dav,user=pi,pass=XYZ:p')).toBe(
      ':webdav,url=http://dav,user=pi,pass=***:p',
    )
    expect(redactRemote('garden:bucket/pi')).toBe('garden:bucket/pi')
    expect(remoteSecrets('garden:bucket/pi')).toEqual([])
  })

  it('names a camera without its secrets, a command source with its URLs redacted', () => {
    const http = parseSource('http://admin:hunter2@cam.local/cgi-bin/snapshot.cgi?channel=1&pwd=hunter2')
    expect(describeSource(http)).toBe('http://***@cam.local/cgi-bin/snapshot.cgi?channel=***&pwd=***')
    expect(sourceSecrets(http)).toEqual(['hunter2'])
    const command = parseSource('cmd:curl -s http://u:hunter2@cam/snap.jpg')
    expect(describeSource(command)).toBe("command 'curl -s http://***@cam/snap.jpg'")
    expect(sourceSecrets(command)).toEqual(expect.arrayContaining(['hunter2']))
  })

  it('redacts every string of an event, keys and numbers left alone', () => {
    const redact = redactor(['hunter2'])
    expect(
      redactDeep({ type: 'frame:missed', ts: 5, message: 'HTTP 401 hunter2', list: ['a hunter2'] }, redact),
    ).toEqual({
      type: 'frame:missed',
      ts: 5,
      message: 'HTTP 401 ***',
      list: ['a ***'],
    })
  })

  it('turns URL credentials into a Basic Authorization header, decoded first', () => {
    expect(credentialsAsHeader('http://ad%40min:p%3Ass@cam:8080/snap.jpg?x=1')).toEqual({
      url: 'http://cam:8080/snap.jpg?x=1',
      authorization: `Basic ${Buffer.from('ad@min:p:ss').toString('base64')}`,
    })
    expect(credentialsAsHeader('http://cam/snap.jpg')).toEqual({ url: 'http://cam/snap.jpg' })
  })

  it('publishes a manifest without the text of its missed captures', () => {
    const manifest = {
      version: 1,
      day: '2026-11-21',
      frames: [{ file: '100000.jpg', sha256: 'ab' }],
      missed: [
        { time: '2026-11-21T11:00:00.000Z', reason: 'error', message: 'camera said: wrong password hunter2' },
      ],
    }
    const published = JSON.parse(publicManifest(JSON.stringify(manifest)))
    expect(published.missed).toEqual([{ time: '2026-11-21T11:00:00.000Z', reason: 'error' }])
    expect(published.frames).toEqual(manifest.frames)
  })
})
