package zstack

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

func TestParseAction(t *testing.T) {
	for _, tc := range []struct {
		body string
		want vmAction
	}{
		{`{"startVmInstance":{}}`, vmAction{Name: actStart, Power: model.PowerOn}},
		{`{"startVmInstance":{"hostUuid":"8aef7e3a53b34eedaa05027a919156d9"},"systemTags":[],"userTags":[]}`, vmAction{Name: actStart, Power: model.PowerOn, Host: "8aef7e3a53b34eedaa05027a919156d9"}},
		{`{"expungeVmInstance":{}}`, vmAction{Name: actExpunge}},
		{`{"recoverVmInstance":null}`, vmAction{Name: actRecover}},
		{`{"stopVmInstance":{"type":"cold","stopHa":false}}`, vmAction{Name: actStop, Power: model.PowerOff}},
		{`{"stopVmInstance":null}`, vmAction{Name: actStop, Power: model.Shutdown}}, // grace is ZStack's default
		{`{"stopVmInstance":{"type":"grace"}}`, vmAction{Name: actStop, Power: model.Shutdown}},
		{`{"rebootVmInstance":{}}`, vmAction{Name: actReboot, Power: model.Reboot}},
		{`{"cloneVmInstance":{"names":["a","b"],"full":true}}`, vmAction{Name: actClone, Clone: broker.CloneRequest{Names: []string{"a", "b"}, Full: true, PowerOn: true}}},
		{`{"cloneVmInstance":{"names":["a"],"strategy":"JustCreate","full":null,"primaryStorageUuidForRootVolume":null}}`, vmAction{Name: actClone, Clone: broker.CloneRequest{Names: []string{"a"}}}},
		{`{"cloneVmInstance":{"names":["a"],"strategy":"CreateStopped"}}`, vmAction{Name: actClone, Clone: broker.CloneRequest{Names: []string{"a"}}}},
		// The clone seed's own curl example sends the parameters unwrapped.
		{`{"strategy":"InstantStart","names":["new vm"],"full":false,"systemTags":["x"]}`, vmAction{Name: actClone, Clone: broker.CloneRequest{Names: []string{"new vm"}, PowerOn: true}}},
	} {
		got, err := parseAction([]byte(tc.body))
		if err != nil {
			t.Errorf("parseAction(%s): %v", tc.body, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseAction(%s) (-want +got):\n%s", tc.body, diff)
		}
	}
	for _, tc := range []struct{ body, mention string }{
		{``, "must name one action"},
		{`{}`, "names no action"},
		{`{"systemTags":[]}`, "names no action"},
		{`{"destroyVmInstance":{}}`, `unknown action "destroyVmInstance"`},
		{`{"startVmInstance":{},"stopVmInstance":{}}`, "names 2 actions"},
		{`{"startVmInstance":{},"extra":1}`, `unexpected key "extra"`},
		{`{"startVmInstance":5}`, "must be an object"},
		{`{"stopVmInstance":{"type":"hard"}}`, `type "hard" is not grace or cold`},
		{`{"cloneVmInstance":{"names":"a"}}`, `field "names" must be []string`},
		{`{"cloneVmInstance":{"names":["a"],"strategy":"Later"}}`, `strategy "Later"`},
		// No silent drops: unknown keys and placement the broker cannot honour are refused.
		{`{"cloneVmInstance":{"names":["a"],"clusterUuid":"x"}}`, `unknown key "clusterUuid"`},
		{`{"cloneVmInstance":{"names":["a"],"primaryStorageUuidForRootVolume":"ps"}}`, `primaryStorageUuidForRootVolume is not supported`},
		{`{"cloneVmInstance":{"names":["a"],"dataVolumeSystemTags":["t"]}}`, `dataVolumeSystemTags is not supported`},
		{`{"startVmInstance":{"hostUuid":"nope"}}`, `hostUuid "nope" is not a uuid`},
		{`{"startVmInstance":{"clusterUuid":"0123456789abcdef0123456789abcdef"}}`, `unknown key "clusterUuid"`},
		{`{"stopVmInstance":{"force":true}}`, `unknown key "force"`},
		{`{"expungeVmInstance":{"deleteMode":"x"}}`, `unknown key "deleteMode"`},
		{`{"names":["a"],"zoneUuid":"z"}`, `unknown key "zoneUuid"`},
		{`[1]`, "malformed JSON"},
		{`{"startVmInstance":{}} {}`, "trailing data"},
	} {
		_, err := parseAction([]byte(tc.body))
		if err == nil || !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("parseAction(%s) = %v; want an invalid-request error mentioning %q", tc.body, err, tc.mention)
		}
	}
}

func TestJobUUID(t *testing.T) {
	if id, err := jobUUID(""); err != nil || len(id) != 32 || id[12] != '4' {
		t.Errorf("jobUUID(\"\") = %q, %v; want a fresh v4 uuid", id, err)
	}
	if id, err := jobUUID("D825B1A26F4E474B8C59306081920FF2"); err != nil || id != "d825b1a26f4e474b8c59306081920ff2" {
		t.Errorf("upper-case v4 uuid: %q, %v", id, err)
	}
	for _, bad := range []string{
		"d825b1a2-6f4e-474b-8c59-306081920ff2", // dashes
		"d825b1a26f4e474b8c59306081920ff",      // 31
		"g825b1a26f4e474b8c59306081920ff2",     // not hex
		"d825b1a26f4e174b8c59306081920ff2",     // version 1
		"d825b1a26f4e474bcc59306081920ff2",     // variant not RFC 4122
	} {
		if _, err := jobUUID(bad); err == nil || !errors.Is(err, model.ErrInvalid) {
			t.Errorf("jobUUID(%q) = %v, want a 400", bad, err)
		}
	}
}

func TestHostAllowList(t *testing.T) {
	a := hostAllowList{"hooks.example.com", "127.0.0.1:9000", "*.portal.example", "[::1]:8080"}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://hooks.example.com/cb", true},
		{"https://HOOKS.example.com:8443/cb", true},
		{"http://127.0.0.1:9000/cb", true},
		{"http://127.0.0.1:9001/cb", false},
		{"http://127.0.0.1/cb", false},
		{"http://a.portal.example/cb", true},
		{"http://portal.example/cb", false},
		{"http://evilportal.example/cb", false},
		{"http://[::1]:8080/cb", true},
		{"ftp://hooks.example.com/cb", false},
		{"http://user:pw@hooks.example.com/cb", false},
		{"http://169.254.169.254/latest", false},
		{"/relative", false},
	} {
		u, _ := url.Parse(tc.url)
		err := a.Allows(u)
		if (err == nil) != tc.ok {
			t.Errorf("Allows(%s) = %v, want ok=%v", tc.url, err, tc.ok)
		}
		if err != nil && !errors.Is(err, model.ErrInvalid) {
			t.Errorf("Allows(%s): %v is not an invalid-request error", tc.url, err)
		}
	}
	u, _ := url.Parse("http://hooks.example.com/")
	if err := (hostAllowList{}).Allows(u); err == nil || !strings.Contains(err.Error(), "not enabled") {
		t.Errorf("empty allow-list: %v", err)
	}
}

func TestDateFormat(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	r := renderer{loc: loc}
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2017, 11, 14, 14, 20, 57, 0, loc), "Nov 14, 2017 2:20:57 PM"},
		{time.Date(2017, 1, 6, 3, 51, 16, 0, loc), "Jan 6, 2017 3:51:16 AM"},
		{time.Date(2017, 1, 1, 4, 0, 0, 0, time.UTC), "Jan 1, 2017 12:00:00 PM"}, // rendered in loc
		{time.Time{}, ""},
	} {
		if got := r.date(tc.t); got != tc.want {
			t.Errorf("date(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}
