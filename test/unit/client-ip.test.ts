import { describe, expect, it } from "vitest";
import { ipLimitSubject, ipv6Prefix64 } from "~/lib/client-ip";

describe("ipLimitSubject", () => {
  it("keys an IPv4 client by its address", () => {
    expect(ipLimitSubject("203.0.113.7")).toBe("203.0.113.7");
    expect(ipLimitSubject("203.0.113.8")).not.toBe(ipLimitSubject("203.0.113.7"));
  });

  it("keys every address of one IPv6 /64 alike, however it is written", () => {
    const subjects = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0:0:0:9", "2001:db8:1:2::1%eth0"].map(ipLimitSubject);
    expect(new Set(subjects).size).toBe(1);
    expect(subjects[0]).toBe("2001:db8:1:2::/64");
  });

  it("keeps neighbouring /64s apart", () => {
    expect(ipLimitSubject("2001:db8:1:3::1")).not.toBe(ipLimitSubject("2001:db8:1:2::1"));
  });

  it("expands :: in the prefix", () => {
    expect(ipv6Prefix64("2001:db8::1")).toBe("2001:db8:0:0");
    expect(ipv6Prefix64("::1")).toBe("0:0:0:0");
    expect(ipv6Prefix64("::ffff:192.0.2.1")).toBe("0:0:0:0");
  });

  it("falls back to the whole value for something that isn't an address, and shares one key without an IP", () => {
    expect(ipv6Prefix64("not:an:address")).toBeNull();
    expect(ipLimitSubject("not:an:address")).toBe("not:an:address");
    expect(ipLimitSubject(null)).toBe("unknown");
  });
});
