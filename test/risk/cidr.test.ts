import { describe, expect, it } from "vitest";
import { CidrTable, parseCidr, parseIp } from "../../authz-server/src/risk/net/cidr.ts";

describe("IP parsing", () => {
  it("maps IPv4 into ::ffff:0:0/96 and reads IPv6 forms", () => {
    expect(parseIp("10.1.2.3")).toEqual([0, 0, 0xffff, 0x0a010203]);
    expect(parseIp("::ffff:10.1.2.3")).toEqual([0, 0, 0xffff, 0x0a010203]);
    expect(parseIp("2001:db8::1")).toEqual([0x20010db8, 0, 0, 1]);
    expect(parseIp("::")).toEqual([0, 0, 0, 0]);
    expect(parseIp("fe80::1%eth0")).toEqual([0xfe800000, 0, 0, 1]);
    expect(parseIp("1:2:3:4:5:6:7:8")).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070008]);
  });
  it.each(["", "1.2.3", "256.1.1.1", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "g::1", "nope"])(
    "rejects %j",
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
  it("rejects bad prefixes with a message naming the text", () => {
    expect(parseCidr("10.0.0.0/33")).toMatch(/bad prefix length in "10.0.0.0\/33"/);
    expect(parseCidr("2001:db8::/129")).toMatch(/bad prefix length/);
    expect(parseCidr("x/8")).toMatch(/not an IP address: "x"/);
  });
});

describe("CidrTable", () => {
  const table = new CidrTable<string>();
  table.add("10.0.0.0/8", "ten");
  table.add("10.1.0.0/16", "ten-one");
  table.add("2001:db8::/32", "doc6");
  table.add("203.0.113.7", "host");

  it("finds the longest matching prefix, IPv4 and IPv6", () => {
    expect(table.lookup("10.9.9.9")).toBe("ten");
    expect(table.lookup("10.1.200.1")).toBe("ten-one");
    expect(table.lookup("::ffff:10.1.0.1")).toBe("ten-one");
    expect(table.lookup("2001:db8:ffff::1")).toBe("doc6");
    expect(table.lookup("203.0.113.7")).toBe("host");
  });
  it("misses outside every block and on garbage", () => {
    expect(table.lookup("11.0.0.1")).toBeUndefined();
    expect(table.lookup("203.0.113.8")).toBeUndefined();
    expect(table.lookup("2001:db9::1")).toBeUndefined();
    expect(table.lookup("not-an-ip")).toBeUndefined();
  });
  it("masks host bits of a block and counts entries", () => {
    const t = new CidrTable<number>();
    t.add("192.168.1.77/24", 1);
    expect(t.lookup("192.168.1.1")).toBe(1);
    expect(t.size).toBe(1);
    t.add("0.0.0.0/0", 0);
    expect(t.lookup("8.8.8.8")).toBe(0);
    expect(t.lookup("2001:db8::1")).toBeUndefined();
  });
});
