package zstack

import (
	"cmp"

	"cloudbroker/broker/model"
)

// imageInventory is ZStack's ImageInventory as GetCandidateIsoForAttachingVm returns it
// (the ISO candidates API's documented answer).
type imageInventory struct {
	UUID              string  `json:"uuid"`
	Name              string  `json:"name"`
	Description       string  `json:"description,omitempty"`
	State             string  `json:"state"`
	Status            string  `json:"status"`
	Size              int64   `json:"size"`
	ActualSize        int64   `json:"actualSize"`
	Md5Sum            string  `json:"md5Sum,omitempty"`
	URL               string  `json:"url,omitempty"`
	MediaType         string  `json:"mediaType"`
	GuestOsType       string  `json:"guestOsType,omitempty"`
	Type              string  `json:"type"`
	Platform          string  `json:"platform"`
	Format            string  `json:"format"`
	System            bool    `json:"system"`
	CreateDate        string  `json:"createDate,omitempty"`
	LastOpDate        string  `json:"lastOpDate,omitempty"`
	BackupStorageRefs []bsRef `json:"backupStorageRefs"`
}

// bsRef is where the image is stored: the datastore (vCenter) or pool (KVM) it was found in.
type bsRef struct {
	ImageUUID         string `json:"imageUuid"`
	BackupStorageUUID string `json:"backupStorageUuid"`
	InstallPath       string `json:"installPath"`
	Status            string `json:"status"`
	CreateDate        string `json:"createDate,omitempty"`
	LastOpDate        string `json:"lastOpDate,omitempty"`
}

func (r renderer) image(img model.Image) imageInventory {
	store := cmp.Or(datastoreOf(img.NativeID), img.Provider)
	inv := imageInventory{
		UUID: img.ID, Name: img.Name, Description: img.Description, State: "Enabled",
		Status: cmp.Or(img.Status, "Ready"), Size: img.SizeBytes, ActualSize: cmp.Or(img.ActualBytes, img.SizeBytes),
		URL: img.URL, MediaType: cmp.Or(img.MediaType, "ISO"), GuestOsType: img.OSFamily, Type: "zstack",
		Platform: cmp.Or(img.Platform, "Other"), Format: cmp.Or(img.Format, "iso"),
		CreateDate: r.date(img.CreatedAt), LastOpDate: r.date(cmp.Or(img.UpdatedAt, img.CreatedAt)),
	}
	inv.BackupStorageRefs = []bsRef{{
		ImageUUID: img.ID, BackupStorageUUID: nameUUID("backup-storage", img.Provider, store),
		InstallPath: img.NativeID, Status: inv.Status, CreateDate: inv.CreateDate, LastOpDate: inv.LastOpDate,
	}}
	return inv
}
