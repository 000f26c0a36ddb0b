-- CreateIndex
CREATE INDEX "RoomMember_invitedBy_role_idx" ON "RoomMember"("invitedBy", "role");
