package config

import (
	"crypto/rand"
	"encoding/hex"
)

// DemoTokenName names the token Demo makes when BROKER_TOKEN does not give one: only that one
// is printed at start-up.
const DemoTokenName = "demo"

// Demo is the embedded default that needs no setup: an in-process Redis and one provider, the
// simulated vCenter at simURL. The API token is BROKER_TOKEN if set, else a fresh random one.
func Demo(simURL string, getenv func(string) string) *Config {
	c := &Config{
		Demo:  true,
		Redis: Redis{Embedded: true},
		Providers: []Provider{{
			Name: "demo-vcenter", Driver: "vcenter", URL: simURL, Insecure: true,
			Region: "demo", Zones: []string{"demo-a"},
		}},
	}
	c.ApplyEnv(getenv)
	if len(c.Auth.Tokens) == 0 {
		var b [16]byte
		rand.Read(b[:])
		c.Auth.Tokens = []Token{{Name: DemoTokenName, Token: hex.EncodeToString(b[:]), AllProviders: true, Admin: true}}
	}
	// The ZStack dialect's demo login: account "admin", the API token as its password.
	c.ZStack.Accounts = []ZStackAccount{{Name: "admin", Password: c.Auth.Tokens[0].Token, AllProviders: true}}
	c.SetDefaults()
	return c
}
