package didi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
)

// okBody is the dialect's success shape.
type okBody struct {
	Errno     int    `json:"errno"`
	Errmsg    string `json:"errmsg"`
	RequestID string `json:"requestId"`
	Data      any    `json:"data"`
}

type cimgList struct {
	// Count is every match, not the page's length: a client pages until start reaches it.
	Count int        `json:"count"`
	Items []cimgItem `json:"items"`
	// FailedProviders is cloudbroker's addition, present only when a provider of the region
	// could not be listed: its images are missing from Count and Items.
	FailedProviders []providerFailure `json:"failedProviders,omitempty"`
}

type providerFailure struct {
	Provider string `json:"provider"`
	Errno    int    `json:"errno"`
	Errmsg   string `json:"errmsg"`
}

// cimgItem is CIMGResponse as the seed's example shows it.
type cimgItem struct {
	Job            *job            `json:"job,omitempty"`
	BackupStorages []backupStorage `json:"backupStorages"`
	CheckState     string          `json:"checkState"`
	CimgID         string          `json:"cimgId"`
	CimgTags       []string        `json:"cimgTags"`
	CimgUUID       string          `json:"cimgUuid"`
	CreateTime     int64           `json:"createTime"`
	Description    string          `json:"description"`
	IsExternal     bool            `json:"isExternal"`
	IsShared       bool            `json:"isShared"`
	Name           string          `json:"name"`
	OSArch         string          `json:"osArch"`
	OSFamily       string          `json:"osFamily"`
	OSVersion      string          `json:"osVersion"`
	Platform       string          `json:"platform"`
	Regions        []string        `json:"regions"`
	Requirement    requirement     `json:"requirement"`
	Scenes         []string        `json:"scenes"`
	Size           int64           `json:"size"`
	Status         string          `json:"status"`
	Type           string          `json:"type"`
	UpdateTime     int64           `json:"updateTime"`
	Zones          []string        `json:"zones"`
}

type requirement struct {
	MinDiskSize int64 `json:"minDiskSize"`
}

// backupStorage is where an image is kept. For the broker that is the provider that offers it.
type backupStorage struct {
	BsUUID   string `json:"bsUuid"`
	DiskType string `json:"diskType"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Status   string `json:"status"`
	Type     string `json:"type"`
	Zone     string `json:"zone"`
}

// job is DiDi's Job (通用响应结构): the unfinished task on the image.
type job struct {
	JobUUID      string  `json:"jobUuid"`
	ResourceUUID string  `json:"resourceUuid"`
	Type         string  `json:"type"`
	Progress     float64 `json:"progress"`
	Done         bool    `json:"done"`
	Success      bool    `json:"success"`
	Result       string  `json:"result"`
}

// rootVolumeTemplate is the media type of images a VM boots from (model.Image.MediaType).
const rootVolumeTemplate = "RootVolumeTemplate"

// cimgList is POST /dicloud/i/storage/cimg/list.
func (s *Server) cimgList(c *gin.Context) {
	var req cimgListRequest
	if !s.bind(c, &req) {
		return
	}
	if err := req.validate(); err != nil {
		fail(c, err)
		return
	}
	page, err := s.Broker.ListImages(c.Request.Context(), callerOf(c), broker.ListImagesQuery{
		Region: req.RegionID, Names: req.names(), Start: req.start(), Limit: *req.Limit,
		MediaType: rootVolumeTemplate, // a custom image boots a VM: ISOs are not listed
	})
	if err != nil {
		fail(c, err)
		return
	}
	if page.Total == 0 && len(page.Failed) > 0 {
		// Nothing to show and something broke: say what, rather than an empty success.
		fail(c, page.Failed[0].Err)
		return
	}
	c.JSON(http.StatusOK, okBody{Errno: ErrnoOK, Errmsg: "ok", RequestID: requestID(c), Data: s.toCimgList(page)})
}

func (s *Server) toCimgList(p broker.ImagePage) cimgList {
	out := cimgList{Count: p.Total, Items: make([]cimgItem, 0, len(p.Images))}
	for _, img := range p.Images {
		out.Items = append(out.Items, s.toCimg(img))
	}
	for _, f := range p.Failed {
		_, errno := status(f.Err)
		out.FailedProviders = append(out.FailedProviders, providerFailure{Provider: f.Provider, Errno: errno, Errmsg: adapters.PublicMessage(f.Err)})
	}
	return out
}

// toCimg renders one image. Fields the broker has no source for take the value that is true of
// every image it offers: not shared with this account by another (isShared false), external to
// the DiDi catalog (isExternal true), never checked by DiDi's image check (checkState
// "uncheck"), a custom base image (type "custom", scenes ["base"]) without tags.
func (s *Server) toCimg(img broker.ImageEntry) cimgItem {
	size := img.ActualBytes // stored size; the disk it needs is SizeBytes
	if size == 0 {
		size = img.SizeBytes
	}
	state := img.Status
	if state == "" {
		state = "Ready"
	}
	it := cimgItem{
		BackupStorages: []backupStorage{s.storageOf(img)},
		CheckState:     "uncheck",
		CimgID:         cimgID(img.ID),
		CimgTags:       []string{},
		CimgUUID:       img.ID,
		CreateTime:     unixMs(img.CreatedAt),
		Description:    img.Description,
		IsExternal:     true,
		Name:           img.Name,
		OSArch:         img.OSArch,
		OSFamily:       img.OSFamily,
		OSVersion:      img.OSVersion,
		Platform:       img.Platform,
		Regions:        []string{img.Region},
		Requirement:    requirement{MinDiskSize: img.SizeBytes},
		Scenes:         []string{"base"},
		Size:           size,
		Status:         state,
		Type:           "custom",
		UpdateTime:     unixMs(img.UpdatedAt),
		Zones:          append([]string{}, img.Zones...),
	}
	if it.UpdateTime == 0 {
		it.UpdateTime = it.CreateTime
	}
	if img.Region == "" {
		it.Regions = []string{}
	}
	if t := img.Job; t != nil {
		j := toJob(*t, img.ID)
		it.Job = &j
	}
	return it
}

// unixMs is DiDi's time: milliseconds since the epoch, 0 when the provider does not say.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// storageOf describes the provider holding the image as its one backup storage: it was
// reachable (Connected) since it just listed the image. Its disk type (DiDi's HE, SSD) is not
// known to the broker and stays empty.
func (s *Server) storageOf(img broker.ImageEntry) backupStorage {
	p, _ := s.Broker.Providers().Get(img.Provider)
	bs := backupStorage{BsUUID: providerUUID(img.Provider), Name: img.Provider, State: "Enabled",
		Status: "Connected", Type: p.Driver}
	if len(img.Zones) > 0 {
		bs.Zone = img.Zones[0]
	}
	return bs
}

func providerUUID(name string) string {
	sum := sha256.Sum256([]byte("provider\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// cimgID is the short id DiDi shows next to the uuid ("cimg-cy58anir"): 8 base-36 characters
// from the uuid's first 40 bits, so it is as stable as the uuid.
func cimgID(uuid string) string {
	if len(uuid) < 10 {
		return ""
	}
	v, err := strconv.ParseUint(uuid[:10], 16, 64)
	if err != nil {
		return ""
	}
	s := strconv.FormatUint(v, 36)
	return "cimg-" + strings.Repeat("0", 8-len(s)) + s
}
