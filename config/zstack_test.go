package config

import (
	"strings"
	"testing"
)

func TestZStackConfig(t *testing.T) {
	const base = "redis: {addr: 127.0.0.1:6379}\nproviders: [{name: vc1, driver: vcenter, url: https://vc/sdk}]\n"
	c, err := Parse([]byte(base+`
zstack:
  accounts:
    - {name: a, password: secret, providers: [vc1], users: [{name: u, password: other}]}
    - {name: b, all_providers: true, password_sha512: "`+strings.ToUpper(HashPassword("x"))+`"}
  webhooks: {allowed_hosts: [hooks.example.com, "127.0.0.1:9000", "*.msp.example", "[::1]:80"]}
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a := c.ZStack.Accounts[0]
	if a.Password != "" || a.PasswordSHA512 != HashPassword("secret") || a.Users[0].PasswordSHA512 != HashPassword("other") {
		t.Errorf("plain passwords not hashed and dropped: %+v", a)
	}
	if c.ZStack.Accounts[1].PasswordSHA512 != HashPassword("x") {
		t.Errorf("sha512 not lower-cased: %q", c.ZStack.Accounts[1].PasswordSHA512)
	}
	if c.ZStack.SessionTimeout.D().Hours() != 2 || c.ZStack.TimeZone != "Asia/Shanghai" || *c.ZStack.Webhooks.MaxRetry != 15 {
		t.Errorf("defaults: %+v", c.ZStack)
	}

	for _, tc := range []struct{ yaml, mention string }{
		{"zstack: {accounts: [{name: a, all_providers: true, password: x, password_sha512: " + HashPassword("x") + "}]}", "zstack.accounts[0]: set password or password_sha512, not both"},
		{"zstack: {accounts: [{name: a}]}", "zstack.accounts[0]: password_sha512 (or password) is required"},
		{"zstack: {accounts: [{name: a, password_sha512: abc}]}", "zstack.accounts[0].password_sha512: must be 128 hex"},
		{"zstack: {accounts: [{name: a, password: x}, {name: a, password: y}]}", `duplicate account "a"`},
		{"zstack: {accounts: [{name: a, password: x, providers: [nope]}]}", `zstack.accounts[0].providers: unknown provider "nope"`},
		{"zstack: {accounts: [{name: a, password: x, users: [{name: u}]}]}", "zstack.accounts[0].users[0]: password_sha512 (or password) is required"},
		{"zstack: {accounts: [{name: 'bad name', password: x}]}", "zstack.accounts[0].name"},
		{"zstack: {accounts: [{name: a, password: x}]}", "zstack.accounts[0].providers: lists no providers: name the providers it sees, or set all_providers: true"},
		{"zstack: {accounts: [{name: a, password: x, providers: []}]}", "zstack.accounts[0].providers: lists no providers"},
		{"zstack: {accounts: [{name: a, password: x, providers: [vc1], all_providers: true}]}", "zstack.accounts[0].all_providers: set providers or all_providers, not both"},
		{"zstack: {time_zone: Mars/Olympus}", "zstack.time_zone"},
		{"zstack: {public_url: ftp://x}", "zstack.public_url"},
		{"zstack: {webhooks: {allowed_hosts: ['http://x/']}}", "zstack.webhooks.allowed_hosts[0]"},
		{"zstack: {webhooks: {allowed_hosts: ['x:port']}}", "zstack.webhooks.allowed_hosts[0]"},
		{"zstack: {webhooks: {max_retry: -1}}", "zstack.webhooks.max_retry"},
		{"zstack: {webhooks: {retry_delay: 2m, max_delay: 1m}}", "zstack.webhooks.max_delay"},
	} {
		_, err := Parse([]byte(base+tc.yaml), func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %v; want an error mentioning %q", tc.yaml, err, tc.mention)
		}
	}
}
