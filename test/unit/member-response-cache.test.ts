import {
  MemberResponseCache,
  memberResponseCacheBytesMax,
  responsesPerMemberMax,
} from '../../gateway/http/member-response-cache';

const now = 1_000_000;
const later = now + 60_000;

function store(cache: MemberResponseCache, memberId: string, key: string, body: string) {
  cache.store(cache.ticket(memberId, key), { body, headers: [] }, now, later);
}

describe('MemberResponseCache memory bound', () => {
  test('counts the bytes it holds through stores, replacements, invalidations and expiry', () => {
    const cache = new MemberResponseCache();
    store(cache, 'mbr_a', 'q1', 'x'.repeat(100));
    store(cache, 'mbr_a', 'q2', 'x'.repeat(50));
    store(cache, 'mbr_b', 'q1', 'x'.repeat(10));
    expect(cache.size).toBe(160);
    store(cache, 'mbr_a', 'q1', 'x'.repeat(30));
    expect(cache.size).toBe(90);
    cache.invalidate(['mbr_a']);
    expect(cache.size).toBe(10);
    expect(cache.lookup('mbr_b', 'q1', later + 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('keeps at most a few answers per member', () => {
    const cache = new MemberResponseCache();
    for (let index = 0; index <= responsesPerMemberMax; index++) {
      store(cache, 'mbr_a', `q${index}`, 'x'.repeat(10));
    }
    expect(cache.size).toBeLessThanOrEqual(10 * responsesPerMemberMax);
    expect(cache.lookup('mbr_a', `q${responsesPerMemberMax}`, now)).toBeDefined();
  });

  test('drops everything rather than grow past its byte bound', () => {
    const cache = new MemberResponseCache();
    const big = 'x'.repeat(memberResponseCacheBytesMax / 4);
    for (let member = 0; member < 4; member++) store(cache, `mbr_${member}`, 'q', big);
    expect(cache.size).toBe(memberResponseCacheBytesMax);
    store(cache, 'mbr_next', 'q', 'x');
    expect(cache.size).toBe(0);
    expect(cache.lookup('mbr_0', 'q', now)).toBeUndefined();
  });
});
