import { buildDigest, DigestInput, DigestMessage, escapeHtml, excerpt } from './email-digest';

function message(
  seq: number,
  content = `message ${seq}`,
  overrides: Partial<DigestMessage> = {},
): DigestMessage {
  return {
    seq,
    senderUsername: 'alice',
    senderDisplayName: 'Alice',
    content,
    createdAt: new Date(Date.UTC(2026, 4, 1, 14, 3, 27)),
    ...overrides,
  };
}

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  const messages = overrides.messages ?? [message(1)];
  return {
    recipient: { username: 'bob', displayName: 'Bob' },
    room: { type: 'group', name: 'Team' },
    messages,
    unreadCount: messages.length,
    ...overrides,
  };
}

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('excerpt', () => {
  it('keeps short content and cuts long content at 280 characters with an ellipsis', () => {
    expect(excerpt('  hello  ')).toBe('hello');
    expect(excerpt('x'.repeat(280))).toBe('x'.repeat(280));
    expect(excerpt('x'.repeat(281))).toBe(`${'x'.repeat(280)}…`);
  });

  it('counts emoji as one character and never splits them', () => {
    const cut = excerpt('😀'.repeat(300));
    expect(Array.from(cut)).toHaveLength(281);
    expect(cut.startsWith('😀'.repeat(280))).toBe(true);
  });
});

describe('buildDigest', () => {
  it('names the sender and the group for a single mention', () => {
    const digest = buildDigest(input({ messages: [message(7, 'hey @bob, look')] }));
    expect(digest.subject).toBe('Alice mentioned you in Team');
    expect(digest.text).toContain('Hi Bob,');
    expect(digest.text).toContain('Alice (@alice) in Team, 2026-05-01 14:03 UTC:\nhey @bob, look');
    expect(digest.html).toContain('hey @bob, look');
    expect(digest.upToSeq).toBe(7);
  });

  it('says "direct message" and counts the messages of a direct room', () => {
    const digest = buildDigest(
      input({ room: { type: 'direct', name: null }, messages: [message(2), message(3)] }),
    );
    expect(digest.subject).toBe('Alice sent you 2 messages');
    expect(digest.text).toContain('in a direct message from Alice');
    expect(digest.text).toContain('Alice (@alice) in direct message,');
    expect(buildDigest(input({ room: { type: 'direct', name: null } })).subject).toBe(
      'Alice sent you a message',
    );
  });

  it('falls back to the username when there is no display name', () => {
    const digest = buildDigest(
      input({
        recipient: { username: 'bob', displayName: null },
        messages: [message(1, 'hi', { senderDisplayName: null })],
      }),
    );
    expect(digest.subject).toBe('alice mentioned you in Team');
    expect(digest.text).toContain('Hi bob,');
    expect(digest.text).toContain('@alice in Team,');
  });

  it('lists messages oldest first whatever order they come in', () => {
    const digest = buildDigest(
      input({ messages: [message(5, 'third'), message(2, 'first'), message(4, 'second')] }),
    );
    expect(digest.subject).toBe('3 new mentions in Team');
    const order = ['first', 'second', 'third'].map((word) => digest.text.indexOf(word));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(digest.upToSeq).toBe(5);
  });

  it('lists at most the newest 20 and counts the rest', () => {
    const messages = Array.from({ length: 25 }, (_, index) => message(index + 1, `note-${index + 1}.`));
    const digest = buildDigest(input({ messages, unreadCount: 40 }));
    expect(digest.subject).toBe('40 new mentions in Team');
    expect(digest.text).not.toContain('note-5.');
    for (let seq = 6; seq <= 25; seq++) expect(digest.text).toContain(`note-${seq}.`);
    expect(digest.html.match(/<li /g)).toHaveLength(20);
    expect(digest.text).toContain('Showing the latest 20 of 40');
    expect(digest.upToSeq).toBe(25);
  });

  it('truncates long messages in both bodies', () => {
    const digest = buildDigest(input({ messages: [message(1, 'y'.repeat(1000))] }));
    expect(digest.text).toContain(`${'y'.repeat(280)}…`);
    expect(digest.text).not.toContain('y'.repeat(281));
    expect(digest.html).not.toContain('y'.repeat(281));
  });

  it('escapes user content, names and the room name in HTML', () => {
    const digest = buildDigest(
      input({
        recipient: { username: 'bob', displayName: '<b>Bob</b>' },
        room: { type: 'group', name: 'R&D <team>' },
        messages: [message(1, '<script>alert(1)</script>', { senderDisplayName: '"Eve" <img src=x>' })],
      }),
    );
    expect(digest.html).not.toMatch(/<script|<img|<b>/);
    expect(digest.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(digest.html).toContain('R&amp;D &lt;team&gt;');
    expect(digest.html).toContain('&quot;Eve&quot; &lt;img src=x&gt;');
    // The plain-text body shows the content as written.
    expect(digest.text).toContain('<script>alert(1)</script>');
  });

  it('keeps line breaks out of the subject', () => {
    const digest = buildDigest(input({ room: { type: 'group', name: 'Team\r\nBcc: victim@example.com' } }));
    expect(digest.subject).toBe('Alice mentioned you in Team Bcc: victim@example.com');
    expect(digest.subject).not.toMatch(/[\r\n]/);
  });

  it("keeps line breaks in names out of the bodies too, so no one can forge a line in another user's email", () => {
    const digest = buildDigest(
      input({
        recipient: { username: 'bob', displayName: 'Bob\r\nP.S. click here' },
        room: { type: 'group', name: 'Team\r\nBcc: evil@example.test' },
        messages: [message(1, 'hi', { senderDisplayName: 'Eve\nX-Injected: yes' })],
      }),
    );
    for (const body of [digest.text, digest.html]) {
      expect(body).toContain('Team Bcc: evil@example.test');
      expect(body).toContain('Eve X-Injected: yes');
      expect(body).toContain('Bob P.S. click here');
      expect(body.split('\n').some((line) => /^(Bcc|X-Injected|P\.S\.)/.test(line.trim()))).toBe(false);
    }
  });

  it('refuses an empty digest', () => {
    expect(() => buildDigest(input({ messages: [] }))).toThrow();
  });
});
