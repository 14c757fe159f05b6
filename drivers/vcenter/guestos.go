package vcenter

import (
	"regexp"
	"strings"
)

// osInfo is what the image catalog says about a guest OS.
type osInfo struct {
	Platform string // Linux, Windows, Other
	Family   string // CentOS, Ubuntu, Windows ...
	Version  string // 7, 22.04, Server 2019 ...
	Arch     string // 64bit, 32bit
}

// guestFamilies maps guest id prefixes (vSphere's VirtualMachineGuestOsIdentifier, lower
// case) to a family name. Longer prefixes come first where one prefixes another.
var guestFamilies = []struct{ prefix, family, platform string }{
	{"win", "Windows", "Windows"},
	{"centos", "CentOS", "Linux"},
	{"rhel", "RHEL", "Linux"},
	{"redhat", "Red Hat", "Linux"},
	{"ubuntu", "Ubuntu", "Linux"},
	{"debian", "Debian", "Linux"},
	{"sles", "SLES", "Linux"},
	{"opensuse", "openSUSE", "Linux"},
	{"suse", "SUSE", "Linux"},
	{"oraclelinux", "Oracle Linux", "Linux"},
	{"rockylinux", "Rocky Linux", "Linux"},
	{"almalinux", "AlmaLinux", "Linux"},
	{"fedora", "Fedora", "Linux"},
	{"amazonlinux", "Amazon Linux", "Linux"},
	{"vmwarephoton", "Photon OS", "Linux"},
	{"coreos", "CoreOS", "Linux"},
	{"asianux", "Asianux", "Linux"},
	{"mandr", "Mandriva", "Linux"},
	{"turbolinux", "Turbolinux", "Linux"},
	{"freebsd", "FreeBSD", "Other"},
	{"solaris", "Solaris", "Other"},
	{"darwin", "macOS", "Other"},
}

// windowsVersions names Windows releases whose guest ids do not spell the version.
var windowsVersions = map[string]string{
	"windows9":           "10",
	"windows11":          "11",
	"windows12":          "12",
	"windows7":           "7",
	"windows8":           "8",
	"windows7server":     "Server 2008 R2",
	"windows8server":     "Server 2012",
	"windows9server":     "Server 2016",
	"windows2019srv":     "Server 2019",
	"windows2019srvnext": "Server 2022",
	"windows2022srvnext": "Server 2025",
}

var (
	trailingDigits = regexp.MustCompile(`(\d+)$`)
	firstNumber    = regexp.MustCompile(`\b\d+(?:\.\d+)*\b`)
	archSuffix     = regexp.MustCompile(`\s*\((?:32|64)-bit\)`)
)

// guestOS derives catalog fields from config.guestId ("centos7_64Guest") and, where the id
// says less, from config.guestFullName ("Microsoft Windows Server 2019 (64-bit)").
func guestOS(guestID, fullName string) osInfo {
	id := strings.ToLower(guestID)
	info := osInfo{Platform: "Other", Family: "Other", Arch: "32bit"}
	if strings.Contains(id, "64guest") || strings.HasSuffix(id, "guest64") || strings.Contains(fullName, "64-bit") {
		info.Arch = "64bit"
	}
	// "centos7_64Guest" -> "centos7": the trailing digits are the version.
	stem := id
	for _, suffix := range []string{"_64guest", "64guest", "guest64", "guest"} {
		if s, ok := strings.CutSuffix(stem, suffix); ok {
			stem = s
			break
		}
	}
	for _, f := range guestFamilies {
		if strings.HasPrefix(stem, f.prefix) {
			info.Family, info.Platform = f.family, f.platform
			break
		}
	}
	if info.Family == "Other" && strings.Contains(stem, "linux") {
		info.Family, info.Platform = "Linux", "Linux"
	}
	name := strings.TrimSpace(archSuffix.ReplaceAllString(fullName, ""))
	switch {
	case info.Family == "Windows":
		if v, ok := strings.CutPrefix(name, "Microsoft Windows "); ok {
			info.Version = v
		} else {
			info.Version = windowsVersions[stem]
		}
	case trailingDigits.MatchString(stem):
		info.Version = trailingDigits.FindString(stem)
	case name != "" && !strings.EqualFold(name, guestID):
		info.Version = firstNumber.FindString(name)
	}
	return info
}
